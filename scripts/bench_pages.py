#!/usr/bin/env python3
"""Verification page benchmark: `/v/{number}` (the page a certificate's QR code opens) served by a
release build with the demo data, loaded with wrk on loopback.

Starts `hocba serve --demo` in a fresh directory (SQLite), reads the demo's certificate numbers,
warms the server with one request per certificate, then runs wrk for DURATION seconds with
THREADS threads and CONNECTIONS connections, each request opening the next certificate's page in
turn. Prints pages per second, latency, the server's CPU time per page, the share of pages that
were not 200, and the machine's load average before and after (the machine is shared: quote the
load with the figure).

    scripts/bench_pages.py [--bin target/release/hocba] [--duration 10] [--threads 2]
                           [--connections 16] [--runs 3] [--perf FILE]

--perf FILE records the server with `perf record -g` during the last run (use the profiling
build, `cargo build --profile profiling`, for line tables: `--bin target/profiling/hocba`).

Needs wrk. Standard library only otherwise; nothing leaves the machine.
"""
import argparse, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """User and system CPU time the process has used, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load():
    with open("/proc/loadavg") as average:
        return " ".join(average.read().split()[:3])


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


def start(binary, directory, port):
    env = dict(os.environ, RUST_LOG="warn", HOCBA_RATE_LIMIT="1000000")
    server = subprocess.Popen(
        [os.path.abspath(binary), "serve", "--demo", "--listen", f"127.0.0.1:{port}"],
        cwd=directory, env=env, stdout=subprocess.DEVNULL,
        stderr=open(f"{directory}/server.log", "a"))
    for _ in range(600):
        try:
            if get(f"http://127.0.0.1:{port}/health")[0] == 200 and os.path.exists(
                    f"{directory}/hocba-demo.env"):
                return server
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"the server did not start: see {directory}/server.log")


def demo_numbers(directory, port):
    """The demo's certificate numbers: its NUMBER, and those its completions list."""
    env = open(f"{directory}/hocba-demo.env").read()
    values = dict(re.findall(r"^(?:export )?([A-Z_]+)=['\"]?([^'\"\n]*)", env, re.M))
    numbers = {values["NUMBER"]}
    for path in ["/api/v1/completions?limit=100", f"/api/v1/officials/{values['OFFICIAL_ID']}/record"]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            headers={"Authorization": f"Bearer {values['ADMIN_TOKEN']}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                numbers |= set(re.findall(r'"(HB-\d{4}-[0-9A-Z-]+)"', response.read().decode()))
        except OSError:
            pass
    return sorted(numbers)


def run_wrk(args, server, script, base, perf_file, unit):
    """One wrk run of `script` against `base` (args: threads, connections, duration), with the
    server recorded by perf into `perf_file` if given; its figures in one line, per `unit`."""
    perf = None
    if perf_file:
        perf = subprocess.Popen(["perf", "record", "-g", "-o", perf_file, "-p", str(server.pid)],
                                stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    before_load, before_cpu = load(), cpu_seconds(server.pid)
    out = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
         "-s", script, base], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(server.pid) - before_cpu
    if perf:
        perf.send_signal(2)
        perf.wait()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    latency = re.search(r"Latency\s+(\S+)", out).group(1)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (f"{rate:,.0f} {unit}s/s, mean latency {latency}, p99 {p99}, "
            f"server CPU {1e6 * cpu / max(requests, 1):,.0f} µs/{unit}, "
            f"non-2xx {errors.group(1) if errors else 0}, "
            f"load before {before_load}, after {load()}")


LUA = """
local paths = {%s}
local next_path = 0
request = function()
  next_path = next_path %% #paths + 1
  return wrk.format("GET", paths[next_path])
end
local not_ok = 0
response = function(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default="target/release/hocba")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--perf")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install wrk)")
    directory = tempfile.mkdtemp(prefix="hocba-bench-pages-")
    port = free_port()
    server = start(args.bin, directory, port)
    try:
        numbers = demo_numbers(directory, port)
        for number in numbers:
            status, body = get(f"http://127.0.0.1:{port}/v/{number}")
            assert status == 200 and b'data-verdict="valid"' in body, (number, status)
        script = f"{directory}/pages.lua"
        with open(script, "w") as lua:
            lua.write(LUA % ", ".join(f'"/v/{number}"' for number in numbers))
        print(f"{len(numbers)} certificates, wrk -t{args.threads} -c{args.connections} "
              f"-d{args.duration}s, {os.cpu_count()} cores")
        for run in range(1, args.runs + 1):
            perf = args.perf if run == args.runs else None
            figures = run_wrk(args, server, script, f"http://127.0.0.1:{port}", perf, "page")
            print(f"run {run}: {figures}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
