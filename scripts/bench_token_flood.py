#!/usr/bin/env python3
"""Token-flood benchmark: wrong client secrets posted all at once to `POST /oauth/token`.

Starts `hocba serve` on a fresh SQLite database with CLIENTS API clients, then posts FLOOD
token requests with wrong secrets at the same time, from SOURCES loopback addresses
(127.0.0.1, 127.0.0.2, ...) and spread over the clients. While they are under way it keeps
asking for an unrelated public page (`GET /api/v1/institutions`). It reports the answers'
statuses, the unrelated request's latency when idle and under the flood, and the server's
resident memory before and at its peak.

    scripts/bench_token_flood.py [--flood 1000] [--clients 1] [--sources 1]
                                 [--bin target/release/hocba]

One client from one address is the flood of issue #24 (most attempts refused at once); many
clients from many addresses get past the throttles and load the argon2 pool itself.

The e2e test `exhaustion::flood` checks the mechanism (few checks, flat memory) without timing
anything; this script is where latency is measured. Standard library only; nothing leaves the
machine.
"""
import argparse, os, secrets, socket, statistics, subprocess, sys, tempfile, threading, time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_posting import Client, start_server, stop_server  # noqa: E402


def memory_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith(field)).split()[1])


def exchange(port, request, source="127.0.0.1"):
    """Sends `request` on a new connection; returns the status and the answer's headers."""
    with socket.create_connection(("127.0.0.1", port), timeout=600,
                                  source_address=(source, 0)) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    return head[9:12], head.lower()


def unrelated_latency(port):
    request = b"GET /api/v1/institutions HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    started = time.perf_counter()
    status, _ = exchange(port, request)
    assert status == "200", status
    return time.perf_counter() - started


def token_request(client_id):
    form = (f"grant_type=client_credentials&client_id={client_id}"
            f"&client_secret=hocba_cs_wrong").encode()
    return (b"POST /oauth/token HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(form)}\r\n\r\n".encode() + form)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flood", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--sources", type=int, default=1)
    parser.add_argument("--bin", default=os.environ.get("HOCBA_BIN", "target/release/hocba"))
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="hocba-flood-")
    admin = "hocba_" + secrets.token_urlsafe(32)
    server, port = start_server(args.bin, work, admin)
    try:
        api = Client(port, admin)
        status, school = api.call("POST", "/api/v1/institutions", {
            "code": "TCT-FLOOD", "name": "Trường (flood)", "kind": "provincial_political_school"})
        assert status == 201, (status, school)
        clients = []
        for _ in range(args.clients):
            status, client = api.call("POST", f"/api/v1/institutions/{school['id']}/clients",
                                      {"label": "flood"})
            assert status == 201, (status, client)
            clients.append(client["client_id"])
        idle = [unrelated_latency(port) for _ in range(20)]
        rss_before = memory_kib(server.pid, "VmRSS")

        sources = [f"127.0.{n // 250}.{n % 250 + 1}" for n in range(args.sources)]
        requests = [(token_request(clients[n % len(clients)]), sources[n % len(sources)])
                    for n in range(args.flood)]
        during, done = [], threading.Event()

        def probe():
            while True:
                during.append(unrelated_latency(port))
                if done.is_set():
                    return

        prober = threading.Thread(target=probe)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.flood) as pool:
            flood = [pool.submit(exchange, port, *item) for item in requests]
            prober.start()
            answers = [answer.result() for answer in flood]
        elapsed = time.perf_counter() - started
        done.set()
        prober.join()
    finally:
        peak = memory_kib(server.pid, "VmHWM")
        stop_server(server)

    statuses = Counter(status for status, _ in answers)
    missing = sum(1 for status, head in answers
                  if status in ("429", "503") and "\r\nretry-after: " not in head)
    print(f"{args.flood} wrong secrets ({args.clients} clients, {args.sources} addresses) "
          f"answered in {elapsed:.2f} s: {dict(statuses)}"
          + (f", {missing} refusals without Retry-After" if missing else ""))
    print(f"unrelated request: idle median {statistics.median(idle) * 1000:.1f} ms; "
          f"under the flood median {statistics.median(during) * 1000:.1f} ms, "
          f"max {max(during) * 1000:.1f} ms ({len(during)} requests)")
    print(f"RESULT server memory: {rss_before / 1024:.0f} MiB before, "
          f"peak {peak / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
