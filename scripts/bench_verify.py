#!/usr/bin/env python3
"""Verification benchmark: `POST /api/v1/verify` by certificate number, and `POST
/credentials/verify` (the W3C VC API) with a certificate's credential and both its proofs, as HR
systems call them, served by a release build with the demo data and loaded with wrk on loopback.

Starts `hocba serve --demo` (SQLite in a fresh directory, or the PostgreSQL database given with
--database-url, where the demo is loaded if it is not there yet), reads the demo's certificate
numbers and their credentials, checks that each verifies, then for each endpoint runs wrk for
DURATION seconds with THREADS threads and CONNECTIONS connections, each request asking about the
next certificate in turn. Prints requests per second, mean and 99th-percentile latency, the
server's CPU time per request, the answers that were not 200, and the machine's load average
before and after (the machine is shared: quote the load with the figure).

    scripts/bench_verify.py [--bin target/release/hocba] [--database-url postgres://...]
                            [--duration 10] [--threads 2] [--connections 8] [--runs 3]
                            [--endpoint number|vc-api|both] [--log warn] [--perf FILE]

--perf FILE records the server with `perf record -g` during the last run of each endpoint
(FILE.number, FILE.vc-api); use the profiling build (`cargo build --profile profiling`).

Needs wrk. Standard library only otherwise; nothing leaves the machine.
"""
import argparse, json, os, re, shutil, sys, tempfile, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_pages import demo_numbers, free_port, run_wrk, start  # noqa: E402

LUA = """
local bodies = {%s}
local next_body = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  next_body = next_body %% #bodies + 1
  return wrk.format(nil, "%s", nil, bodies[next_body])
end
"""


def post(url, body, token=None):
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def credential_of(base, number, token):
    request = urllib.request.Request(f"{base}/api/v1/certificates/{number}/credential",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def admin_token(directory):
    env = open(f"{directory}/hocba-demo.env").read()
    return re.search(r"^(?:export )?ADMIN_TOKEN=['\"]?([^'\"\n]*)", env, re.M).group(1)


def lua_string(text):
    """`text` as a Lua long string, whatever brackets it holds."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default="target/release/hocba")
    parser.add_argument("--database-url")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--endpoint", choices=["number", "vc-api", "both"], default="both")
    parser.add_argument("--log", default="warn", help="RUST_LOG of the server")
    parser.add_argument("--perf")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install wrk)")
    directory = tempfile.mkdtemp(prefix="hocba-bench-verify-")
    if args.database_url:
        os.environ["HOCBA_DATABASE_URL"] = args.database_url
    os.environ["RUST_LOG"] = args.log
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(args.bin, directory, port)
    try:
        token = admin_token(directory)
        # The valid ones: the demo also holds a certificate its correction superseded.
        numbers = [number for number in demo_numbers(directory, port)
                   if post(f"{base}/api/v1/verify", {"number": number})[1]["verified"]]
        credentials = [credential_of(base, number, token) for number in numbers]
        for number, credential in zip(numbers, credentials):
            assert len(credential["proof"]) == 2, (number, "both proofs")
            status, answer = post(f"{base}/credentials/verify",
                                  {"verifiableCredential": credential})
            assert status == 200, (number, answer)
        cases = {
            "number": ("/api/v1/verify", [{"number": number} for number in numbers]),
            "vc-api": ("/credentials/verify",
                       [{"verifiableCredential": credential} for credential in credentials]),
        }
        store = "PostgreSQL" if args.database_url else "SQLite"
        print(f"{len(numbers)} certificates on {store}, wrk -t{args.threads} "
              f"-c{args.connections} -d{args.duration}s, {os.cpu_count()} cores, "
              f"RUST_LOG={args.log}")
        for name, (path, bodies) in cases.items():
            if args.endpoint not in (name, "both"):
                continue
            script = f"{directory}/{name}.lua"
            with open(script, "w") as lua:
                lua.write(LUA % (", ".join(lua_string(json.dumps(body)) for body in bodies), path))
            for run in range(1, args.runs + 1):
                perf_file = f"{args.perf}.{name}" if args.perf and run == args.runs else None
                figures = run_wrk(args, server, script, base, perf_file, "request")
                print(f"{name} run {run}: {figures}", flush=True)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
