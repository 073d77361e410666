#!/usr/bin/env python3
"""Posting benchmark: batches of completions over HTTP on loopback into a registry on SQLite.

Starts `hocba serve` on a fresh SQLite database, registers OFFICIALS officials (synthetic, valid
national IDs), an accredited school, a class and an API client, then posts BATCHES batches of
ROWS completions each and reports completions+certificates per second end to end and the
server's peak RSS.

    scripts/bench_posting.py [--officials 100000] [--batches 10] [--rows 1000] [--clients 1]
                             [--bin target/release/hocba] [--reuse DIR] [--perf FILE]

--clients N posts N batches at a time, as N institutions would (each its own school and token).
--reuse DIR keeps the registered registry in DIR (made on the first run) and starts each run
from a copy of it, so repeated runs skip registering the officials. --perf FILE records the
server with `perf record -g` while the batches are posted; it then runs the profiling build
(`cargo build --profile profiling`, the release build with line tables) unless --bin says
otherwise.

Standard library only; nothing leaves the machine.
"""
import argparse, http.client, json, os, secrets, shutil, socket, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port, token):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, method, path, body=None, token=None, form=None):
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if form is not None:
            data, headers["Content-Type"] = form, "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body) if body is not None else None
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        return response.status, (json.loads(payload) if payload else None)


def national_id(n):
    # Province 035, born 1985 (century/sex digit 0: male, 20th century), serial n.
    return f"0350850{n:05d}" if n < 100_000 else f"035085{n:06d}"


def start_server(binary, directory, admin):
    port = free_port()
    env = dict(os.environ, HOCBA_ADMIN_TOKEN=admin, RUST_LOG="warn")
    server = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", "--database-url",
         f"sqlite://{directory}/hocba.db", "--keys-dir", f"{directory}/keys"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(f"{directory}/server.log", "a"))
    for _ in range(300):
        try:
            if Client(port, admin).call("GET", "/health")[0] == 200:
                return server, port
        except OSError:
            time.sleep(0.1)
    sys.exit(f"the server did not start: see {directory}/server.log")


def cpu_seconds(pid):
    """User and system CPU time the process has used, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_server(server):
    server.terminate()
    server.wait()


def set_up(port, admin, officials, schools):
    """Registers the officials and `schools` accredited schools, each with a class and a client."""
    api = Client(port, admin)
    status, program = api.call("POST", "/api/v1/programs", {
        "code": "QLNN-CV-2024", "title_vi": "Bồi dưỡng QLNN ngạch chuyên viên",
        "category_code": "QLNN-CV", "min_days": 20})
    assert status == 201, (status, program)
    setup = {"admin": admin, "officials": officials, "schools": []}
    for n in range(schools):
        status, school = api.call("POST", "/api/v1/institutions", {
            "code": f"TCT-BENCH-{n}", "name": f"Trường Chính trị (bench {n})",
            "kind": "provincial_political_school"})
        assert status == 201, (status, school)
        api.call("POST", f"/api/v1/institutions/{school['id']}/scopes",
                 {"category_code": "QLNN-CV", "valid_from": "2020-01-01"})
        status, klass = api.call("POST", "/api/v1/classes", {
            "institution_id": school["id"], "program_id": program["id"], "code": "K1-2025",
            "starts_on": "2025-03-03", "ends_on": "2025-03-28", "mode": "in_person"})
        assert status == 201, (status, klass)
        status, client = api.call("POST", f"/api/v1/institutions/{school['id']}/clients",
                                  {"label": "bench"})
        setup["schools"].append({"class_id": klass["id"], "client_id": client["client_id"],
                                 "client_secret": client["client_secret"]})

    started = time.time()
    def register(chunk):
        client = Client(port, admin)
        for n in chunk:
            status, _ = client.call("POST", "/api/v1/officials", {
                "national_id": national_id(n), "full_name": "Nguyễn Văn An",
                "date_of_birth": "1985-03-14", "gender": "male",
                "employment": {"agency_code": "G01.H35", "agency_name": "Sở Nội vụ",
                               "level": "province", "valid_from": "2020-01-01"}})
            assert status == 201, status
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(register, [range(i, officials, 4) for i in range(4)]))
    print(f"registered {officials} officials in {time.time() - started:.1f} s")
    return setup


def token(port, admin, school):
    form = (f"grant_type=client_credentials&client_id={school['client_id']}"
            f"&client_secret={school['client_secret']}")
    status, answer = Client(port, admin).call("POST", "/oauth/token", form=form)
    assert status == 200, (status, answer)
    return answer["access_token"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--bin", default=os.environ.get("HOCBA_BIN"))
    parser.add_argument("--reuse", help="keep the registered registry here and start from a copy")
    parser.add_argument("--perf", help="record the server with perf while posting")
    args = parser.parse_args()
    if args.bin is None:
        args.bin = "target/profiling/hocba" if args.perf else "target/release/hocba"
    if args.batches * args.rows > args.officials:
        sys.exit("need at least batches × rows officials")

    work = tempfile.mkdtemp(prefix="hocba-bench-")
    setup_file = args.reuse and os.path.join(args.reuse, "setup.json")
    if setup_file and os.path.exists(setup_file):
        with open(setup_file) as file:
            setup = json.load(file)
        if setup["officials"] < args.officials or len(setup["schools"]) < args.clients:
            sys.exit(f"{args.reuse} holds fewer officials or schools than asked: remove it")
    else:
        prepared = args.reuse or work
        os.makedirs(prepared, exist_ok=True)
        admin = "hocba_" + secrets.token_urlsafe(32)
        server, port = start_server(args.bin, prepared, admin)
        try:
            setup = set_up(port, admin, args.officials, max(args.clients, 4))
        finally:
            stop_server(server)
        if args.reuse:
            with open(setup_file, "w") as file:
                json.dump(setup, file)
    if args.reuse:
        for name in os.listdir(args.reuse):
            source = os.path.join(args.reuse, name)
            if name.startswith("hocba.db"):
                shutil.copy(source, work)
            elif name == "keys":
                shutil.copytree(source, os.path.join(work, "keys"))

    server, port = start_server(args.bin, work, setup["admin"])
    profiler = None
    try:
        tokens = [token(port, setup["admin"], school) for school in setup["schools"][:args.clients]]
        bodies = []
        for batch in range(args.batches):
            school = batch % args.clients
            rows = [{"national_id": national_id(batch * args.rows + i), "full_name": "Nguyen Van An",
                     "date_of_birth": "1985-03-14",
                     "class_id": setup["schools"][school]["class_id"], "duration_days": 20,
                     "outcome": "passed"} for i in range(args.rows)]
            bodies.append((school, batch, {"rows": rows}))
        if args.perf:
            profiler = subprocess.Popen(["perf", "record", "--call-graph", os.environ.get("PERF_CALLGRAPH", "fp"), "-q", "-o", args.perf,
                                         "-p", str(server.pid)], stderr=subprocess.DEVNULL)
            time.sleep(0.5)

        def post(school):
            client = Client(port, tokens[school])
            for _, batch, body in (entry for entry in bodies if entry[0] == school):
                t0 = time.time()
                status, report = client.call("POST", "/api/v1/completions/batch", body)
                dt = time.time() - t0
                assert status == 200 and report["accepted"] == args.rows, (status, str(report)[:300])
                print(f"batch {batch + 1}: {args.rows} rows in {dt:.2f} s ({args.rows / dt:,.0f}/s)")

        started, cpu_before = time.time(), cpu_seconds(server.pid)
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(post, range(args.clients)))
        elapsed, cpu = time.time() - started, cpu_seconds(server.pid) - cpu_before
        with open(f"/proc/{server.pid}/status") as status_file:
            peak = next(line for line in status_file if line.startswith("VmHWM")).split()[1]
        print(f"RESULT completions+certificates per second: {args.batches * args.rows / elapsed:,.0f}"
              f" ({args.clients} client{'s' if args.clients > 1 else ''}); "
              f"server peak RSS: {int(peak) / 1024:.0f} MB; "
              f"server CPU per row: {cpu / (args.batches * args.rows) * 1e6:.0f} µs "
              f"({cpu / elapsed:.2f} cores busy)")
    finally:
        if profiler:
            profiler.send_signal(2)
            profiler.wait()
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
