#!/usr/bin/env python3
"""Webhook fan-out benchmark: deliveries per second to a local receiver, and the delay from an
event's commit to its receipt.

Starts `hocba serve --webhook-allow-loopback` on a fresh SQLite database (or the PostgreSQL
database of --database-url), a receiver on a loopback port (Python's threading HTTP server,
keep-alive, answering 204), and SUBSCRIPTIONS subscriptions to it. Then:

1. Delay: registers OFFICIALS officials one after another (each is an event, fanned out to every
   subscription) and reports the delay from the registration's answer (the event committed) to
   each delivery's receipt: median, p99, max.
2. Throughput: replays every subscription from the start of the feed and reports deliveries
   per second until the receiver has them all again.

    scripts/bench_webhooks.py [--officials 500] [--subscriptions 10] [--concurrency 32]
                              [--bin target/release/hocba] [--database-url URL]

Standard library only; nothing leaves the machine.
"""
import argparse, json, os, secrets, statistics, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_posting import Client, free_port, national_id, stop_server  # noqa: E402


class Receipts:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []  # (monotonic time, webhook-id, body)

    def add(self, webhook_id, body):
        now = time.monotonic()
        with self.lock:
            self.items.append((now, webhook_id, body))

    def count(self):
        with self.lock:
            return len(self.items)


def receiver(receipts):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the worker reuses its connections

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receipts.add(self.headers["webhook-id"], body)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_server(binary, directory, admin, database_url, concurrency):
    port = free_port()
    env = dict(os.environ, HOCBA_ADMIN_TOKEN=admin, RUST_LOG="warn")
    server = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", database_url,
         "--keys-dir", f"{directory}/keys", "--webhook-allow-loopback",
         "--webhook-concurrency", str(concurrency)],
        env=env, stdout=subprocess.DEVNULL, stderr=open(f"{directory}/server.log", "a"))
    for _ in range(300):
        try:
            if Client(port, admin).call("GET", "/health")[0] == 200:
                return server, port
        except OSError:
            time.sleep(0.1)
    sys.exit(f"the server did not start: see {directory}/server.log")


def ids_in(value):
    """Every string in a JSON value (the official's id is one of them)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from ids_in(item)
    elif isinstance(value, str):
        yield value


def wait_for(receipts, total, timeout=600):
    deadline = time.monotonic() + timeout
    while receipts.count() < total:
        if time.monotonic() > deadline:
            sys.exit(f"only {receipts.count()} of {total} deliveries arrived")
        time.sleep(0.01)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=500)
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--bin", default=os.environ.get("HOCBA_BIN", "target/release/hocba"))
    parser.add_argument("--database-url")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="hocba-webhooks-")
    admin = "hocba_" + secrets.token_urlsafe(32)
    database_url = args.database_url or f"sqlite://{work}/hocba.db"
    receipts = Receipts()
    hooks = receiver(receipts)
    url = f"http://127.0.0.1:{hooks.server_address[1]}/hooks"
    server, port = start_server(args.bin, work, admin, database_url, args.concurrency)
    try:
        api = Client(port, admin)
        subscriptions = []
        for _ in range(args.subscriptions):
            status, subscription = api.call("POST", "/api/v1/webhooks",
                                            {"url": url, "event_types": ["official.registered"]})
            assert status == 201, (status, subscription)
            subscriptions.append(subscription)

        committed = {}
        for n in range(args.officials):
            status, official = api.call("POST", "/api/v1/officials", {
                "national_id": national_id(n), "full_name": "Nguyễn Văn Bench",
                "date_of_birth": "1985-03-14", "gender": "male",
                "employment": {"agency_code": "G01.H35", "agency_name": "Sở Nội vụ",
                               "level": "province", "valid_from": "2020-01-01"}})
            assert status == 201, (status, official)
            committed[official["id"]] = time.monotonic()
        total = args.officials * args.subscriptions
        wait_for(receipts, total)
        delays = []
        for received, _, body in receipts.items[:total]:
            subject = next((s for s in ids_in(json.loads(body)) if s in committed), None)
            if subject is not None:
                delays.append(received - committed[subject])
        delays.sort()
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        print(f"delay, event commit -> receipt ({len(delays)} deliveries, "
              f"{args.subscriptions} subscriptions): median {statistics.median(delays)*1e3:.1f} ms,"
              f" p99 {p99*1e3:.1f} ms, max {delays[-1]*1e3:.1f} ms")

        # Throughput: every subscription replays the whole feed at once.
        before = receipts.count()
        started = time.monotonic()
        for subscription in subscriptions:
            # No cursor: from the start of the feed.
            status, body = api.call("POST", f"/api/v1/webhooks/{subscription['id']}/replay", {})
            assert status == 202, (status, body)
        wait_for(receipts, before + total)
        seconds = time.monotonic() - started
        print(f"throughput: {total} deliveries in {seconds:.2f} s = {total / seconds:.0f}/s "
              f"(concurrency {args.concurrency}, {args.subscriptions} subscriptions, "
              f"{'PostgreSQL' if args.database_url else 'SQLite'})")
    finally:
        stop_server(server)
        hooks.shutdown()


if __name__ == "__main__":
    main()
