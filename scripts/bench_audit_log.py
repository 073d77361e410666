#!/usr/bin/env python3
"""Audit log benchmark: checkpoints and proofs of a log of EVENTS audit events, on SQLite.

Makes a fresh SQLite registry (`hocba migrate`), writes EVENTS audit events straight into its
table (as a registry that has run for years would hold them; their hash chain is not made, the
Merkle tree does not read it), then starts `hocba serve`, whose start turns every event into a
leaf of the tree (timed: the one-off cost of a registry upgrading to the tree). Then it times,
over HTTP on loopback with one client, `GET /audit/checkpoint` (reads the tree's right edge,
signs), inclusion proofs of random events and consistency proofs from random sizes, and
`hocba audit verify --checkpoint` (hashes every event afresh).

    scripts/bench_audit_log.py [--events 100000] [--requests 500] [--bin target/release/hocba]

Standard library only; nothing leaves the machine.
"""
import argparse, http.client, os, random, secrets, shutil, socket, sqlite3, subprocess, sys
import tempfile, time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(database, events):
    """Appends `events` events modelled on the newest one the registry wrote itself."""
    db = sqlite3.connect(database)
    occurred_at, actor = db.execute(
        "SELECT occurred_at, actor FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    details = '{"rows":1000,"first_number":"HB-2026-0000001"}'
    rows = ((occurred_at, actor, "completions.posted", "institution",
             "0193a3c0-0000-7000-8000-%012d" % (n % 1000), details,
             secrets.token_hex(32), secrets.token_hex(32)) for n in range(events))
    db.executemany(
        "INSERT INTO audit_events (occurred_at, actor, action, subject_type, subject_id, details,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    return db.execute("SELECT count(*) FROM audit_events").fetchone()[0]


def timed(conn, paths):
    """Milliseconds per request, sorted."""
    times = []
    for path in paths:
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def report(what, times):
    p50, p99 = times[len(times) // 2], times[min(len(times) - 1, len(times) * 99 // 100)]
    print(f"RESULT {what}: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({len(times)} requests)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--bin", default=os.environ.get("HOCBA_BIN", "target/release/hocba"))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="hocba-audit-bench-")
    url = f"sqlite://{work}/hocba.db"
    server = None
    try:
        env = dict(os.environ, HOCBA_ADMIN_TOKEN="hocba_" + secrets.token_urlsafe(32),
                   RUST_LOG="warn")
        subprocess.run([args.bin, "migrate", "--database-url", url], check=True, env=env,
                       stderr=subprocess.DEVNULL)
        subprocess.run([args.bin, "admin-token", "--database-url", url], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        total = fill(f"{work}/hocba.db", args.events)
        print(f"{total:,} audit events; database {os.path.getsize(f'{work}/hocba.db') / 1e6:.0f} MB")

        port = free_port()
        started = time.perf_counter()
        server = subprocess.Popen(
            [args.bin, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", url,
             "--keys-dir", f"{work}/keys"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(f"{work}/server.log", "a"))
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                conn.request("GET", "/health")
                health = conn.getresponse()
                health.read()
                if health.status == 200:
                    break
            except OSError:
                time.sleep(0.05)
            if server.poll() is not None:
                sys.exit(f"the server stopped: see {work}/server.log")
        print(f"RESULT start, {total:,} events made leaves: {time.perf_counter() - started:.1f} s;"
              f" database {os.path.getsize(f'{work}/hocba.db') / 1e6:.0f} MB"
              " (tree included; the -wal file not)")

        report("GET /audit/checkpoint", timed(conn, ["/audit/checkpoint"] * args.requests))
        conn.request("GET", "/audit/checkpoint")
        checkpoint = conn.getresponse().read().decode()
        size = int(checkpoint.splitlines()[1])
        rng = random.Random(1)
        report(f"GET /audit/proof/inclusion (size {size:,})", timed(conn, [
            f"/audit/proof/inclusion?index={rng.randrange(size)}&size={size}"
            for _ in range(args.requests)]))
        report(f"GET /audit/proof/consistency (to {size:,})", timed(conn, [
            f"/audit/proof/consistency?old={rng.randrange(1, size)}&new={size}"
            for _ in range(args.requests)]))

        with open(f"{work}/checkpoint.txt", "w") as file:
            file.write(checkpoint)
        started = time.perf_counter()
        # The events written here have no hash chain, so the command exits 1 for the chain;
        # what is timed is both checks, and the log's must hold.
        verified = subprocess.run(
            [args.bin, "audit", "verify", "--database-url", url, "--checkpoint",
             f"{work}/checkpoint.txt"], env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        assert "consistent with the checkpoint: yes" in verified.stdout, verified
        print(f"RESULT hocba audit verify --checkpoint, {size:,} events: {elapsed:.1f} s")
    finally:
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
