#!/usr/bin/env python3
"""Reports benchmark: one report over a generated registry, on SQLite and on PostgreSQL.

Starts `hocba serve --demo` on a fresh database (for its catalogue, institutions, signing key and
status list), stops it, adds OFFICIALS synthetic officials straight in SQL (one employment period
each at an agency of the directory, COMPLETIONS completions each with a certificate, 2 % of them
revoked; ranks, Regulation 145 groups and division posts spread as in `hocba_domain`'s rules),
starts it again and times GET /api/v1/reports/... over HTTP on loopback: RPT-STD national, by
gender, for Hà Nội's subtree (T01), and RPT-145. Prints the median of RUNS runs of each.

    scripts/bench_reports.py [--officials 100000] [--completions 3] [--runs 3]
                             [--bin target/release/hocba] [--postgres URL]

--postgres URL is a server's URL without database (postgres://postgres:postgres@127.0.0.1:5432):
the script creates (and drops first) a database `hocba_bench_reports` there with psql.
Standard library only, plus the sqlite3 and psql command-line clients; nothing leaves the machine.
"""
import argparse, http.client, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(binary, workdir, url, port):
    env = dict(os.environ, HOCBA_DATABASE_URL=url)
    log = open(os.path.join(workdir, "serve.log"), "a")
    process = subprocess.Popen([binary, "serve", "--demo", "--listen", f"127.0.0.1:{port}"],
                               cwd=workdir, env=env, stdout=log, stderr=log)
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        sys.exit("the server did not start; see serve.log")
    text = open(os.path.join(workdir, "hocba-demo.env")).read()
    token = re.search(r"ADMIN_TOKEN=(\S+)", text).group(1).strip("'\"")
    return process, token


# One generator, two dialects: the differences are the ids, the number series and dates.
DIALECTS = {
    "sqlite": {
        "uuid": "randomblob(16)",
        "series": "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {n} - 1)",
        "from_series": "s",
        "plus_days": "date('{day}', '+' || ({days}) || ' days')",
        "minus_days": "date({column}, '-' || ({days}) || ' days')",
        "now": "'2026-01-01T00:00:00.000000Z'",
        "printf": "printf('9%011d', {i})",
    },
    "postgres": {
        "uuid": "gen_random_uuid()",
        "series": "WITH s AS (SELECT generate_series(0, {n} - 1) AS i)",
        "from_series": "s",
        "plus_days": "(DATE '{day}' + ({days})::int)",
        "minus_days": "({column} - ({days})::int)",
        "now": "TIMESTAMPTZ '2026-01-01 00:00:00+00'",
        "printf": "'9' || lpad(({i})::text, 11, '0')",
    },
}


def generation_sql(dialect, officials, completions):
    d = DIALECTS[dialect]
    series = d["series"].format(n=officials)
    dob = d["plus_days"].format(day="1966-01-01", days="(i * 37) % 12775")
    since = d["plus_days"].format(day="2020-01-01", days="i % 2000")
    ended = d["plus_days"].format(day="2020-06-01", days="(o.n * 13 + j.j * 101) % 2300")
    started = d["minus_days"].format(column="x.ended_on", days="x.duration_days * 2")
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Hải"]
    name = "CASE i % 5 " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in enumerate(names)) + " END"
    return f"""
CREATE TABLE bench_agencies AS
  SELECT code, level, ROW_NUMBER() OVER (ORDER BY code) - 1 AS k FROM agencies WHERE valid_to IS NULL;
CREATE TABLE bench_programs AS
  SELECT id, ROW_NUMBER() OVER (ORDER BY code) - 1 AS k FROM programs;
CREATE TABLE bench_officials AS
  {series}
  SELECT i AS n, {d["uuid"]} AS id FROM {d["from_series"]};
INSERT INTO officials (id, national_id, full_name, name_key, date_of_birth, gender, ethnicity_code, created_at)
  SELECT b.id, {d["printf"].format(i="b.n")}, {name.replace("i %", "b.n %")}, 'bench', {dob.replace("i *", "b.n *")},
         CASE WHEN b.n % 2 = 0 THEN 'male' ELSE 'female' END,
         CASE WHEN b.n % 10 = 0 THEN 5 WHEN b.n % 10 = 1 THEN NULL ELSE 1 END, {d["now"]}
  FROM bench_officials b;
INSERT INTO employments (id, official_id, agency_code, agency_name, level, rank_code, leadership_level,
                         leadership_group, valid_from, created_at)
  SELECT {d["uuid"]}, b.id, a.code, a.code, a.level,
         CASE WHEN b.n % 20 = 3 THEN '01.001' WHEN b.n % 4 = 1 THEN '01.002' ELSE '01.003' END,
         CASE WHEN b.n % 10 = 0 THEN 'division' WHEN b.n % 50 = 5 THEN 'provincial_department' END,
         CASE WHEN b.n % 10 = 0 THEN 'N3' WHEN b.n % 50 = 5 THEN 'N2' END,
         {since.replace("i %", "b.n %")}, {d["now"]}
  FROM bench_officials b JOIN bench_agencies a ON a.k = b.n % (SELECT COUNT(*) FROM bench_agencies);
CREATE TABLE bench_completions AS
  WITH j(j) AS (SELECT 0 {" ".join(f"UNION ALL SELECT {k}" for k in range(1, completions))})
  SELECT {d["uuid"]} AS id, o.id AS official_id, p.id AS program_id, {ended} AS ended_on,
         7 + (o.n + j.j) % 20 AS duration_days, o.n AS n, j.j AS j
  FROM bench_officials o CROSS JOIN j JOIN bench_programs p
    ON p.k = (o.n + j.j * 3) % (SELECT COUNT(*) FROM bench_programs);
INSERT INTO completions (id, official_id, program_id, institution_id, started_on, ended_on, duration_days,
                         outcome, posted_by, posted_at)
  SELECT x.id, x.official_id, x.program_id, (SELECT id FROM institutions ORDER BY id LIMIT 1), {started}, x.ended_on,
         x.duration_days, 'passed', x.official_id, {d["now"]}
  FROM bench_completions x;
INSERT INTO certificates (id, number, completion_id, official_id, institution_id, kid, issued_at,
                          status_list, status_index, credential)
  SELECT x.id, 'BENCH-' || x.n || '-' || x.j, x.id, x.official_id, (SELECT id FROM institutions ORDER BY id LIMIT 1),
         (SELECT MIN(kid) FROM signing_keys), {d["now"]}, (SELECT MIN(id) FROM status_lists),
         1000000 + x.n * 10 + x.j, '{{}}'
  FROM bench_completions x;
INSERT INTO certificate_revocations (certificate_id, reason, revoked_at, revoked_by)
  SELECT id, 'fraud', {d["now"]}, 'bench' FROM bench_completions WHERE (n + j) % 50 = 7;
DROP TABLE bench_completions;
DROP TABLE bench_officials;
DROP TABLE bench_programs;
DROP TABLE bench_agencies;
"""


def run_sql(dialect, target, sql):
    if dialect == "sqlite":
        subprocess.run(["sqlite3", target], input=sql, text=True, check=True)
    else:
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", target], input=sql, text=True, check=True)


def timed(port, token, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        sys.exit(f"{path}: {response.status} {body[:300]!r}")
    return elapsed


def bench(dialect, binary, officials, completions, runs, postgres):
    workdir = tempfile.mkdtemp(prefix=f"hocba-bench-reports-{dialect}-")
    if dialect == "sqlite":
        target = os.path.join(workdir, "hocba.db")
        url = f"sqlite://{target}"
    else:
        subprocess.run(["psql", f"{postgres}/postgres", "-q", "-c", "DROP DATABASE IF EXISTS hocba_bench_reports"], check=True)
        subprocess.run(["psql", f"{postgres}/postgres", "-q", "-c", "CREATE DATABASE hocba_bench_reports"], check=True)
        target = url = f"{postgres}/hocba_bench_reports"
    port = free_port()
    process, _ = serve(binary, workdir, url, port)
    process.terminate()
    process.wait()
    start = time.perf_counter()
    run_sql(dialect, target, generation_sql(dialect, officials, completions))
    if dialect == "postgres":
        run_sql(dialect, target, "ANALYZE;")
    generated = time.perf_counter() - start
    process, token = serve(binary, workdir, url, port)
    try:
        print(f"{dialect}: {officials} officials, {officials * completions} completions "
              f"generated in {generated:.1f} s")
        for path in [
            "/api/v1/reports/RPT-STD?as_of=2026-12-05",
            "/api/v1/reports/RPT-STD?as_of=2026-12-05&breakdown=gender",
            "/api/v1/reports/RPT-STD?as_of=2026-12-05&agency_code=T01",
            "/api/v1/reports/RPT-145?as_of=2026-12-05",
            "/api/v1/reports/RPT-STD/missing?requirement=R145-N3&as_of=2026-12-05&limit=50",
        ]:
            times = [timed(port, token, path) for _ in range(runs)]
            print(f"  {path}: median {statistics.median(times) * 1000:.0f} ms "
                  f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})")
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=100_000)
    parser.add_argument("--completions", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bin", default="target/release/hocba")
    parser.add_argument("--postgres")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)
    bench("sqlite", binary, args.officials, args.completions, args.runs, None)
    if args.postgres:
        bench("postgres", binary, args.officials, args.completions, args.runs, args.postgres)


if __name__ == "__main__":
    main()
