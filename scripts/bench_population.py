#!/usr/bin/env python3
"""Population benchmark: `hocba demo generate` into SQLite and PostgreSQL, then the registry
serving it: one official's compliance under load, and the RPT-STD reports, with their plans.

For each store: a fresh database; `hocba demo generate --officials N --completions C` (timed:
the generator's rate); the database's size; `hocba serve` on it; GET
/api/v1/officials/{id}/compliance under `wrk` (CONNECTIONS concurrent connections for DURATION
seconds, over --distinct officials drawn at random; latency percentiles from wrk's --latency);
(--distinct 1000: each asked about again and again, as a portal or an HR system does; as many as
the population: each asked about about once, none kept by the server); RPT-STD national and for
one province's subtree (median of RUNS runs, over HTTP on loopback);
with --plans DIR, both reports' plans into DIR: on PostgreSQL EXPLAIN (ANALYZE, BUFFERS), on
SQLite EXPLAIN QUERY PLAN and the time of each step the report starts with (its officials'
current periods, the population, the completions counted, those whose certificate stands) and
of the rest (the rules), each made a temporary table first.

    scripts/bench_population.py [--officials 100000] [--completions 20] [--runs 3]
        [--bin target/release/hocba] [--postgres URL] [--province T01] [--connections 50]
        [--duration 20] [--distinct 1000] [--plans docs/benchmarks] [--skip-sqlite] [--reuse-sqlite DIR]
        [--reuse-postgres DB]

--postgres URL is a server's URL without database (postgres://postgres:postgres@127.0.0.1:5432):
the script creates (and drops first) a database `hocba_bench_population` there, unless
--reuse-postgres DB names a database already generated into (a population too large to generate
again for each run; its keys directory is then --reuse-postgres-keys, the generator's
`hocba-keys` by default). Needs wrk,
sqlite3 and psql; the report SQL for the plans is printed by the store's unit test
(`HOCBA_PRINT_REPORT_SQL=1 cargo test -p hocba-store the_rules_data_is_bound`), so cargo too.
Nothing leaves the machine.
"""
import argparse, http.client, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time

TOKEN = "hocba_bench_population_" + "0" * 24
AS_OF = time.strftime("%Y-%m-%d", time.gmtime())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, process, log):
    for _ in range(1200):
        if process.poll() is not None:
            sys.exit(f"the server stopped; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the server did not start; see {log}")


def sql(dialect, target, text):
    if dialect == "sqlite":
        return subprocess.run(["sqlite3", target, text], text=True, check=True, capture_output=True).stdout
    return subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", target, "-c", text], text=True,
                          check=True, capture_output=True).stdout


def timed(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        sys.exit(f"{path}: {response.status} {body[:300]!r}")
    return elapsed


def wrk(port, ids, connections, duration, workdir):
    script = os.path.join(workdir, "compliance.lua")
    with open(script, "w") as f:
        f.write("ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n")
        f.write("n = 0\nrequest = function()\n  n = n + 1\n")
        f.write(f'  local path = "/api/v1/officials/" .. ids[(n % #ids) + 1] .. "/compliance?as_of={AS_OF}"\n')
        f.write(f'  return wrk.format("GET", path, {{["Authorization"] = "Bearer {TOKEN}"}})\nend\n')
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script,
                          f"http://127.0.0.1:{port}"], text=True, check=True, capture_output=True).stdout
    return out


def report_sql(dialect, province_codes, programs):
    """The SQL of RPT-STD national (in `dialect`, values inlined) from the store's unit test, and
    the same over a province's agencies; `programs` is the catalogue (`id:category` lines)."""
    env = dict(os.environ, HOCBA_PRINT_REPORT_SQL="1", HOCBA_REPORT_SCOPE=",".join(province_codes),
               HOCBA_REPORT_PROGRAMS=",".join(programs), HOCBA_REPORT_DIALECT=dialect)
    out = subprocess.run(["cargo", "test", "-q", "-p", "hocba-store", "--lib",
                          "the_rules_data_is_bound_never_written_into_the_sql", "--", "--nocapture"],
                         text=True, check=True, capture_output=True, env=env).stdout

    def statement(text):
        text = text[text.index("WITH RECURSIVE"):]
        text = text[:text.rindex("GROUP BY 1, 2, 3") + len("GROUP BY 1, 2, 3")]
        return text.replace("'2026-12-05'", f"'{AS_OF}'")

    national, province = out.split("-- scoped", 1)
    return statement(national), statement(province)


def bench(dialect, args, binary):
    reuse = args.reuse_sqlite if dialect == "sqlite" else args.reuse_postgres
    # A reused SQLite population lives in its directory; everything else in a temporary one.
    kept = dialect == "sqlite" and reuse
    workdir = reuse if kept else tempfile.mkdtemp(prefix=f"hocba-bench-population-{dialect}-")
    if dialect == "sqlite":
        target = os.path.join(workdir, "hocba.db")
        url = f"sqlite://{target}"
    elif reuse:
        target = url = f"{args.postgres}/{reuse}"
        os.symlink(os.path.abspath(args.reuse_postgres_keys), os.path.join(workdir, "hocba-keys"))
    else:
        admin = f"{args.postgres}/postgres"
        subprocess.run(["psql", admin, "-q", "-c", "DROP DATABASE IF EXISTS hocba_bench_population"], check=True)
        subprocess.run(["psql", admin, "-q", "-c", "CREATE DATABASE hocba_bench_population"], check=True)
        target = url = f"{args.postgres}/hocba_bench_population"
    port = free_port()
    env = dict(os.environ, HOCBA_DATABASE_URL=url, HOCBA_ADMIN_TOKEN=TOKEN, RUST_LOG="warn",
               HOCBA_BASE_URL=f"http://127.0.0.1:{port}")
    if reuse:
        print(f"== {dialect}: reusing the population in {reuse}")
    else:
        generate(dialect, args, binary, workdir, env, target)
    measure(dialect, args, binary, workdir, env, target, port)
    if not kept:
        shutil.rmtree(workdir, ignore_errors=True)


def generate(dialect, args, binary, workdir, env, target):
    start = time.perf_counter()
    generated = subprocess.run([binary, "demo", "generate", "--officials", str(args.officials),
                                "--completions", str(args.completions)],
                               cwd=workdir, env=env, text=True, capture_output=True)
    took = time.perf_counter() - start
    if generated.returncode != 0:
        sys.exit(f"generate failed: {generated.stderr[-2000:]}")
    print(f"== {dialect}: {generated.stderr.strip().splitlines()[-1]}")
    print(f"   wall clock {took:.0f} s")
    if dialect == "postgres":
        sql(dialect, target, "VACUUM ANALYZE")
        size = int(sql(dialect, target, "SELECT pg_database_size(current_database())"))
    else:
        sql(dialect, target, "PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(os.path.getsize(os.path.join(workdir, f)) for f in os.listdir(workdir) if f.startswith("hocba.db"))
    print(f"   database size {size / 2**30:.2f} GiB", flush=True)


def measure(dialect, args, binary, workdir, env, target, port):
    log = os.path.join(workdir, "serve.log")
    process = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--rate-limit", "1000000"],
                               cwd=workdir, env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT)
    try:
        wait_for(port, process, log)
        if dialect == "sqlite":
            # SQLite stores uuids as 16-byte blobs: ask for hex.
            ids = sql(dialect, target, f"SELECT lower(hex(id)) FROM officials ORDER BY random() LIMIT {args.distinct}").split()
            ids = [f"{i[:8]}-{i[8:12]}-{i[12:16]}-{i[16:20]}-{i[20:]}" for i in ids]
        else:
            ids = sql(dialect, target, f"SELECT id FROM officials ORDER BY random() LIMIT {args.distinct}").split()
        timed(port, f"/api/v1/officials/{ids[0]}/compliance?as_of={AS_OF}")
        out = wrk(port, ids, args.connections, args.duration, workdir)
        latency = re.search(r"Latency Distribution\n((?:\s+\d+%.*\n)+)", out)
        rate = re.search(r"Requests/sec:\s+(\S+)", out)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        print(f"   compliance, {args.distinct} officials, {args.connections} connections, {args.duration} s: "
              f"{rate.group(1)} req/s, "
              f"non-2xx {errors.group(1) if errors else 0}")
        print("   " + " ".join(line.strip() for line in latency.group(1).splitlines()))
        for label, path in [
            ("RPT-STD national", f"/api/v1/reports/RPT-STD?as_of={AS_OF}"),
            (f"RPT-STD {args.province}", f"/api/v1/reports/RPT-STD?as_of={AS_OF}&agency_code={args.province}"),
        ]:
            times = [timed(port, path) for _ in range(args.runs)]
            print(f"   {label}: median {statistics.median(times):.2f} s "
                  f"(min {min(times):.2f}, max {max(times):.2f}, {args.runs} runs)")
    finally:
        process.terminate()
        process.wait()
    if args.plans:
        codes = sql(dialect, target, f"""WITH RECURSIVE t(code) AS (SELECT code FROM agencies WHERE code = '{args.province}'
            UNION SELECT a.code FROM agencies a JOIN t ON a.parent_code = t.code) SELECT code FROM t""").split()
        # SQLite keeps uuids as 16-byte blobs.
        program_id = "lower(hex(id))" if dialect == "sqlite" else "id"
        programs = sql(dialect, target, f"SELECT {program_id} || ':' || category_code FROM programs").split()
        national, province = report_sql(dialect, codes, programs)
        os.makedirs(args.plans, exist_ok=True)
        for name, text in [("rpt-std-national", national), (f"rpt-std-{args.province}", province)]:
            plan = explained(dialect, target, text)
            path = os.path.join(args.plans, f"{name}.{dialect}.plan.txt")
            with open(path, "w") as f:
                f.write(f"-- {args.officials} officials, {args.completions} completions each on average; as of {AS_OF}\n")
                f.write(plan)
            print(f"   plan: {path} ({plan.strip().splitlines()[-1]})")


def explained(dialect, target, text):
    """How the database runs a report's statement `text`: PostgreSQL's own account, as the
    registry plans it (the store's `plan_for_counting`); SQLite's plan, and where the time goes."""
    if dialect == "postgres":
        setting = "SET jit = off; SET enable_nestloop = off; SET work_mem = '64MB'; "
        return sql(dialect, target, setting + "EXPLAIN (ANALYZE, BUFFERS) " + text)
    plan = sql(dialect, target, "EXPLAIN QUERY PLAN " + text)
    # The steps every report starts with (`population` in crates/hocba-store/src/reports.rs),
    # each made a table in turn; then the rest of the statement over them.
    steps, rest = [], text
    for name in ["cur", "pop", "counted", "live"]:
        start = rest.index(f"{name} AS ")
        opened = rest.index("(", start)
        depth, end = 0, opened
        for end in range(opened, len(rest)):
            depth += {"(": 1, ")": -1}.get(rest[end], 0)
            if depth == 0:
                break
        steps.append((name, rest[opened + 1:end]))
        rest = "WITH RECURSIVE " + rest[end + 1:].lstrip(", ")
    script = ".timer on\n" + "".join(f"CREATE TEMP TABLE {name} AS {body};\n" for name, body in steps)
    script += rest + ";\n"
    # Read-only: the temporary tables live in memory and vanish with the connection.
    out = subprocess.run(["sqlite3", "-readonly", target], input=script, text=True, check=True,
                         capture_output=True).stdout
    times = re.findall(r"Run Time: real (\S+)", out)
    named = [name for name, _ in steps] + ["the rules and the counts"]
    lines = [f"-- {name}: {float(seconds) * 1000:.0f} ms" for name, seconds in zip(named, times)]
    return plan + "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=100_000)
    parser.add_argument("--completions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bin", default="target/release/hocba")
    parser.add_argument("--postgres")
    parser.add_argument("--province", default="T01")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--distinct", type=int, default=1000, help="officials asked about in turn")
    parser.add_argument("--plans")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--reuse-sqlite", help="a directory a previous run generated into (kept when it fails)")
    parser.add_argument("--reuse-postgres", help="a database on --postgres already generated into")
    parser.add_argument("--reuse-postgres-keys", default="hocba-keys", help="its generator's keys directory")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)
    if not args.skip_sqlite:
        bench("sqlite", args, binary)
    if args.postgres:
        bench("postgres", args, binary)


if __name__ == "__main__":
    main()
