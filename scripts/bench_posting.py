#!/usr/bin/env python3
"""Posting benchmark: batches of completions over HTTP on loopback into a registry on SQLite or
PostgreSQL.

Starts `hocba serve` on a fresh database, registers OFFICIALS officials (synthetic, valid
national IDs), accredited schools, each with a class and an API client, then posts BATCHES
batches of ROWS completions each and reports completions+certificates per second end to end,
each server's peak RSS, and the CPU the servers (and PostgreSQL) used per row.

    scripts/bench_posting.py [--officials 100000] [--batches 10] [--rows 1000] [--clients 1]
                             [--bin target/release/hocba] [--reuse DIR] [--perf FILE]
                             [--postgres URL] [--servers 1]

--clients N posts N batches at a time, as N institutions would (each its own school and token).
--reuse DIR keeps the registered registry in DIR (made on the first run) and starts each run
from a copy of it, so repeated runs skip registering the officials. --perf FILE records the
(first) server with `perf record -g` while the batches are posted; it then runs the profiling
build (`cargo build --profile profiling`, the release build with line tables) unless --bin says
otherwise.

--postgres URL (a server's URL without database, postgres://postgres:postgres@127.0.0.1:5432)
posts into PostgreSQL instead: the registered registry is the database `hocba_bench_posting_setup`
(kept with --reuse, whose DIR then holds the keys and setup.json), and each run posts into
`hocba_bench_posting`, a copy made from it as a template. --servers N starts N `hocba serve`
processes on that database and spreads the clients over them (PostgreSQL only).

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


SETUP_DB, WORK_DB = "hocba_bench_posting_setup", "hocba_bench_posting"


def psql(postgres, statement, database="postgres"):
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    subprocess.run(["psql", f"{postgres}/{database}", "-qAt", "-v", "ON_ERROR_STOP=1", "-c", statement],
                   check=True, stdout=subprocess.DEVNULL, env=env)


def database_url(args, directory, database):
    if args.postgres:
        return f"{args.postgres}/{database}"
    return f"sqlite://{directory}/hocba.db"


def postgres_cpu_seconds():
    """CPU time used so far by each process named postgres (the server's backends), in seconds,
    by process id."""
    used = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
            used[pid] = cpu_seconds(pid)
        except OSError:
            pass
    return used


def postgres_cpu_since(before):
    """CPU time PostgreSQL's processes used since `before` (from postgres_cpu_seconds). A process
    that ended meanwhile is left out, not subtracted: a sum over all processes, before and after,
    went negative when backends of an earlier phase exited during the run."""
    return sum(now - before.get(pid, 0.0) for pid, now in postgres_cpu_seconds().items())


def start_server(binary, directory, admin, url):
    port = free_port()
    env = dict(os.environ, HOCBA_ADMIN_TOKEN=admin, RUST_LOG="warn")
    server = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", url,
         "--keys-dir", f"{directory}/keys"],
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
    parser.add_argument("--postgres", help="post into PostgreSQL at this server URL (no database)")
    parser.add_argument("--servers", type=int, default=1, help="server processes (PostgreSQL only)")
    args = parser.parse_args()
    if args.bin is None:
        args.bin = "target/profiling/hocba" if args.perf else "target/release/hocba"
    if args.batches * args.rows > args.officials:
        sys.exit("need at least batches × rows officials")
    if args.servers > 1 and not args.postgres:
        sys.exit("several servers share a PostgreSQL database: add --postgres")

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
        if args.postgres:
            psql(args.postgres, f"DROP DATABASE IF EXISTS {SETUP_DB}")
            psql(args.postgres, f"CREATE DATABASE {SETUP_DB}")
        admin = "hocba_" + secrets.token_urlsafe(32)
        server, port = start_server(args.bin, prepared, admin, database_url(args, prepared, SETUP_DB))
        try:
            setup = set_up(port, admin, args.officials, max(args.clients, 4))
        finally:
            stop_server(server)
        if args.postgres:
            # A registry in service has statistics (autovacuum analyses a table as it grows); a
            # database loaded a moment ago has none, and PostgreSQL would then scan every
            # official for each batch's lookup by national ID instead of using the index.
            psql(args.postgres, "VACUUM ANALYZE", database=SETUP_DB)
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
    if args.postgres:
        psql(args.postgres, f"DROP DATABASE IF EXISTS {WORK_DB}")
        psql(args.postgres, f"CREATE DATABASE {WORK_DB} TEMPLATE {SETUP_DB}")

    url = database_url(args, work, WORK_DB)
    servers = [start_server(args.bin, work, setup["admin"], url) for _ in range(args.servers)]
    profiler = None
    try:
        port_of = lambda school: servers[school % len(servers)][1]
        tokens = [token(port_of(school), setup["admin"], entry)
                  for school, entry in enumerate(setup["schools"][:args.clients])]
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
                                         "-p", str(servers[0][0].pid)], stderr=subprocess.DEVNULL)
            time.sleep(0.5)

        def post(school):
            client = Client(port_of(school), tokens[school])
            for _, batch, body in (entry for entry in bodies if entry[0] == school):
                t0 = time.time()
                status, report = client.call("POST", "/api/v1/completions/batch", body)
                dt = time.time() - t0
                assert status == 200 and report["accepted"] == args.rows, (status, str(report)[:300])
                print(f"batch {batch + 1}: {args.rows} rows in {dt:.2f} s ({args.rows / dt:,.0f}/s)")

        pids = [server.pid for server, _ in servers]
        database_cpu = postgres_cpu_seconds() if args.postgres else {}
        started, cpu_before = time.time(), sum(map(cpu_seconds, pids))
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(post, range(args.clients)))
        elapsed, cpu = time.time() - started, sum(map(cpu_seconds, pids)) - cpu_before
        rows = args.batches * args.rows
        peaks = []
        for pid in pids:
            with open(f"/proc/{pid}/status") as status_file:
                peak = next(line for line in status_file if line.startswith("VmHWM")).split()[1]
            peaks.append(f"{int(peak) / 1024:.0f}")
        database = ""
        if args.postgres:
            database_cpu = postgres_cpu_since(database_cpu)
            database = (f"; PostgreSQL CPU per row: {database_cpu / rows * 1e6:.0f} µs "
                        f"({database_cpu / elapsed:.2f} cores busy)")
        print(f"RESULT completions+certificates per second: {rows / elapsed:,.0f}"
              f" ({args.clients} client{'s' if args.clients > 1 else ''}, "
              f"{len(servers)} server{'s' if len(servers) > 1 else ''}, "
              f"{'PostgreSQL' if args.postgres else 'SQLite'}); "
              f"server peak RSS: {' / '.join(peaks)} MB; "
              f"server CPU per row: {cpu / rows * 1e6:.0f} µs "
              f"({cpu / elapsed:.2f} cores busy){database}")
    finally:
        if profiler:
            profiler.send_signal(2)
            profiler.wait()
        for server, _ in servers:
            stop_server(server)
        shutil.rmtree(work, ignore_errors=True)
        if args.postgres:
            psql(args.postgres, f"DROP DATABASE IF EXISTS {WORK_DB}")
            if not args.reuse:
                psql(args.postgres, f"DROP DATABASE IF EXISTS {SETUP_DB}")


if __name__ == "__main__":
    main()
