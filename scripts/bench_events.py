#!/usr/bin/env python3
"""Changes-feed benchmark: GET /api/v1/events read over HTTP on loopback, in pages.

Generates a population with `hocba demo generate` (each official registered, each completion
recorded with its certificate issued, some revoked or corrected: several events an official)
into a fresh SQLite database, or PostgreSQL with --postgres, then serves it and reads the
whole feed from the start, page after page of --limit events, with --readers readers at once
(each reads the whole feed on its own keep-alive connection, as separate followers would).
Reports events read per second, per reader and in all, and the median time of a page.

    scripts/bench_events.py [--officials 20000] [--completions 5] [--limit 1000]
                            [--readers 1] [--rounds 3] [--bin target/release/hocba]
                            [--postgres postgres://postgres:postgres@127.0.0.1:5432]

The cost of writing the outbox when posting is measured by scripts/bench_posting.py, run with
a binary built with the outbox and one built without it (its parent commit).

Standard library only; nothing leaves the machine.
"""
import argparse, http.client, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

TOKEN = "hocba_bench_events_" + "0" * 28


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
            time.sleep(0.1)
    sys.exit(f"the server did not start; see {log}")


def read_feed(port, limit):
    """Reads the whole feed from the start; returns (events, seconds, page times)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    cursor, events, pages = None, 0, []
    started = time.perf_counter()
    while True:
        path = f"/api/v1/events?limit={limit}" + (f"&after={cursor}" if cursor else "")
        t0 = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        pages.append(time.perf_counter() - t0)
        if response.status != 200:
            sys.exit(f"GET {path}: {response.status} {body[:300]!r}")
        page = json.loads(body)
        events += len(page["events"])
        cursor = page["next_cursor"]
        if len(page["events"]) < limit:
            return events, time.perf_counter() - started, pages


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=20_000)
    parser.add_argument("--completions", type=int, default=5)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--readers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bin", default=os.environ.get("HOCBA_BIN", "target/release/hocba"))
    parser.add_argument("--postgres", help="a server's URL without database")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)

    work = tempfile.mkdtemp(prefix="hocba-bench-events-")
    if args.postgres:
        admin = f"{args.postgres}/postgres"
        for statement in ["DROP DATABASE IF EXISTS hocba_bench_events", "CREATE DATABASE hocba_bench_events"]:
            subprocess.run(["psql", admin, "-q", "-c", statement], check=True)
        url = f"{args.postgres}/hocba_bench_events"
    else:
        url = f"sqlite://{work}/hocba.db"
    port = free_port()
    env = dict(os.environ, HOCBA_DATABASE_URL=url, HOCBA_ADMIN_TOKEN=TOKEN, RUST_LOG="warn",
               HOCBA_KEYS_DIR=f"{work}/keys", HOCBA_BASE_URL=f"http://127.0.0.1:{port}")
    generated = subprocess.run([binary, "demo", "generate", "--officials", str(args.officials),
                                "--completions", str(args.completions)],
                               cwd=work, env=env, text=True, capture_output=True)
    if generated.returncode != 0:
        sys.exit(f"generate failed: {generated.stderr[-2000:]}")
    print(generated.stderr.strip().splitlines()[-1])

    log = os.path.join(work, "serve.log")
    server = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}",
                               "--rate-limit", "1000000"],
                              cwd=work, env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT)
    try:
        wait_for(port, server, log)
        read_feed(port, args.limit)  # warm-up: the pages in the database's cache
        for round in range(1, args.rounds + 1):
            with ThreadPoolExecutor(args.readers) as pool:
                started = time.perf_counter()
                results = list(pool.map(lambda _: read_feed(port, args.limit), range(args.readers)))
                wall = time.perf_counter() - started
            events = results[0][0]
            pages = [page for result in results for page in result[2]]
            per_reader = [count / seconds for count, seconds, _ in results]
            print(f"round {round}: {args.readers} reader(s) x {events:,} events in pages of "
                  f"{args.limit}: {sum(count for count, _, _ in results) / wall:,.0f} events/s in all, "
                  f"{statistics.median(per_reader):,.0f} events/s per reader, "
                  f"page median {statistics.median(pages) * 1e3:.1f} ms, "
                  f"p99 {sorted(pages)[int(len(pages) * 0.99)] * 1e3:.1f} ms")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
