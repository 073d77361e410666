#!/usr/bin/env python3
"""Posting benchmark: batches of completions over HTTP on loopback into a registry on SQLite.

Starts `hocba serve` on a fresh SQLite database, registers OFFICIALS officials (synthetic, valid
national IDs), an accredited school, a class and an API client, then posts BATCHES batches of
ROWS completions each and reports completions+certificates per second end to end and the
server's peak RSS.

    scripts/bench_posting.py [--officials 100000] [--batches 10] [--rows 1000] [--bin target/release/hocba]

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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--bin", default=os.environ.get("HOCBA_BIN", "target/release/hocba"))
    args = parser.parse_args()
    if args.batches * args.rows > args.officials:
        sys.exit("need at least batches × rows officials")

    work = tempfile.mkdtemp(prefix="hocba-bench-")
    port, admin = free_port(), "hocba_" + secrets.token_urlsafe(32)
    env = dict(os.environ, HOCBA_ADMIN_TOKEN=admin, RUST_LOG="warn")
    server = subprocess.Popen(
        [args.bin, "serve", "--listen", f"127.0.0.1:{port}", "--database-url",
         f"sqlite://{work}/hocba.db", "--keys-dir", f"{work}/keys"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(f"{work}/server.log", "w"))
    try:
        for _ in range(100):
            try:
                if Client(port, admin).call("GET", "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        api = Client(port, admin)
        status, school = api.call("POST", "/api/v1/institutions", {
            "code": "TCT-BENCH", "name": "Trường Chính trị (bench)", "kind": "provincial_political_school"})
        api.call("POST", f"/api/v1/institutions/{school['id']}/scopes",
                 {"category_code": "QLNN-CV", "valid_from": "2020-01-01"})
        status, program = api.call("POST", "/api/v1/programs", {
            "code": "QLNN-CV-2024", "title_vi": "Bồi dưỡng QLNN ngạch chuyên viên",
            "category_code": "QLNN-CV", "min_days": 20})
        status, klass = api.call("POST", "/api/v1/classes", {
            "institution_id": school["id"], "program_id": program["id"], "code": "K1-2025",
            "starts_on": "2025-03-03", "ends_on": "2025-03-28", "mode": "in_person"})

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
        chunks = [range(i, args.officials, 4) for i in range(4)]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(register, chunks))
        print(f"registered {args.officials} officials in {time.time() - started:.1f} s")

        status, client = api.call("POST", f"/api/v1/institutions/{school['id']}/clients", {"label": "bench"})
        form = f"grant_type=client_credentials&client_id={client['client_id']}&client_secret={client['client_secret']}"
        status, token = api.call("POST", "/oauth/token", form=form)
        school_api = Client(port, token["access_token"])

        posted, elapsed = 0, 0.0
        for batch in range(args.batches):
            rows = [{"national_id": national_id(batch * args.rows + i), "full_name": "Nguyen Van An",
                     "date_of_birth": "1985-03-14", "class_id": klass["id"], "duration_days": 20,
                     "outcome": "passed"} for i in range(args.rows)]
            t0 = time.time()
            status, report = school_api.call("POST", "/api/v1/completions/batch", {"rows": rows})
            dt = time.time() - t0
            assert status == 200 and report["accepted"] == args.rows, (status, str(report)[:300])
            posted, elapsed = posted + args.rows, elapsed + dt
            print(f"batch {batch + 1}: {args.rows} rows in {dt:.2f} s ({args.rows / dt:,.0f}/s)")
        with open(f"/proc/{server.pid}/status") as status_file:
            peak = next(line for line in status_file if line.startswith("VmHWM")).split()[1]
        print(f"RESULT completions+certificates per second: {posted / elapsed:,.0f}; "
              f"server peak RSS: {int(peak) / 1024:.0f} MB")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
