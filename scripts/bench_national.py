#!/usr/bin/env python3
"""National-size benchmark: a registry of the whole civil service on PostgreSQL, under load.

Serves a database `hocba demo generate` wrote (2,500,000 officials and 25,000,000 completions with
certificates for issue #31: `--officials 2500000 --completions 10`), then loads it with wrk on
loopback, CONNECTIONS connections for DURATION seconds each:

- record read by id: `GET /api/v1/officials/{id}/record` as the operator, over officials drawn
  at random (each read is logged for the official, so each is also a write);
- verification by number: `POST /api/v1/verify` over 10,000 certificates drawn at random, whose
  verdicts the registry keeps after the first request (`verify`: each is asked once before the
  load, so that it measures a registry asked again about certificates it has seen, not the
  first 10,000 verifications, a few percent of the requests and all of the p99; `--cold-start`
  skips that), and over 100,000 others, more than it keeps (16,384), so that nearly every
  request is verified afresh (`verify-cold`);
- an institution's class roster: `GET /api/v1/classes/{id}/results` as the institution, over
  ten classes of 40 completions it posted;
- a single post: `POST /api/v1/completions`, one completion a request, each for another official;
- classes posted (`classes`): two institutions' clients at once, each posting 10 classes of
  1,000 completions (`POST /api/v1/completions/batch`), as the posting benchmark does, but for
  officials of the national population: completions+certificates per second end to end.

Generate with `HOCBA_BASE_URL=http://127.0.0.1:8425` (and serve with `--port 8425`, the default):
the registry's DID, the certificates' issuer, is made from its base URL.

The classes, programme and institution are added by the script under a fresh code each run, so
a database can be measured again. Prints each load's requests per second, p50 and p99, the
share that was not 2xx, the database's size and the server's peak RSS.

    scripts/bench_national.py --postgres postgres://postgres:postgres@127.0.0.1:5432 \\
        --database pop25m --keys /tmp/pop25m/hocba-keys [--bin target/release/hocba]
        [--connections 200] [--duration 20] [--threads 2] [--only record,verify,verify-cold,roster,post,classes]
        [--servers N]
        [--cold-start]

With `--servers N` (N > 1), N processes serve the database behind haproxy, which hands each
request to the next process in turn.

Needs wrk and psql (and haproxy for `--servers`). Standard library only otherwise; nothing leaves the machine.
"""
import argparse, json, os, re, subprocess, sys, tempfile, time, urllib.request
from concurrent.futures import ThreadPoolExecutor


TOKEN = "hocba_bench_national_" + "0" * 26
LOADS = ["record", "verify", "verify-cold", "roster", "post", "classes"]
CLASSES = 10

# Each of wrk's threads has a Lua state of its own: thread k takes requests k, k + threads, ...,
# so that no two threads post the same completion. The requests are read from a file, one a
# line (method, path, token, body separated by tabs): LuaJIT refuses a script with more than
# 65,536 constants.
LUA = """
local requests = {}
for line in io.lines("%s") do
  local method, path, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  requests[#requests + 1] = {method, path, token, body}
end
local threads = %d
local made = 0
function setup(thread)
  thread:set("id", made)
  made = made + 1
end
local next_request = nil
request = function()
  next_request = (next_request or id - threads) + threads
  local r = requests[next_request %% #requests + 1]
  local headers = {["Content-Type"] = "application/json"}
  if r[3] ~= "" then headers["Authorization"] = "Bearer " .. r[3] end
  return wrk.format(r[1], r[2], headers, r[4])
end
"""


def psql(url, statement):
    return subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", url, "-c", statement], text=True,
                          check=True, capture_output=True).stdout.split("\n")[:-1]


def call(base, method, path, body=None, token=TOKEN, form=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if form is not None:
        data, headers["Content-Type"] = form.encode(), "application/x-www-form-urlencoded"
    else:
        data, headers["Content-Type"] = json.dumps(body).encode() if body else None, "application/json"
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def expect(answer, status):
    assert answer[0] == status, answer
    return answer[1]


def start(binary, url, keys, directory, port, public_port=None):
    """A server listening on `port`, known by `public_port`'s URL (its own port's by default)."""
    env = dict(os.environ, HOCBA_DATABASE_URL=url, HOCBA_ADMIN_TOKEN=TOKEN, RUST_LOG="warn",
               HOCBA_BASE_URL=f"http://127.0.0.1:{public_port or port}")
    server = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--rate-limit", "1000000",
                               "--keys-dir", keys], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(f"{directory}/server.log", "a"))
    for _ in range(1200):
        if server.poll() is not None:
            sys.exit(f"the server stopped: see {directory}/server.log")
        try:
            if call(f"http://127.0.0.1:{port}", "GET", "/health")[0] == 200:
                return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the server did not start: see {directory}/server.log")


# Several processes behind a load balancer, as a ministry runs them (docs/operations.md):
# haproxy sends each request, not each connection, to the next process in turn.
HAPROXY = """global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 600s
    timeout server 600s
frontend registry
    bind 127.0.0.1:%d
    default_backend processes
backend processes
    balance roundrobin
%s
"""


def start_behind_balancer(args, url, directory):
    """`args.servers` processes on the ports after `args.port`, and haproxy on `args.port`: the
    processes, the balancer, and the balancer's URL."""
    binary, keys = os.path.abspath(args.bin), os.path.abspath(args.keys)
    ports = [args.port + n for n in range(1, args.servers + 1)]
    servers = [start(binary, url, keys, directory, port, args.port)[0] for port in ports]
    config = f"{directory}/haproxy.cfg"
    with open(config, "w") as out:
        out.write(HAPROXY % (args.port, "\n".join(f"    server s{port} 127.0.0.1:{port}" for port in ports)))
    balancer = subprocess.Popen(["haproxy", "-f", config], stdout=subprocess.DEVNULL,
                                stderr=open(f"{directory}/haproxy.log", "a"))
    base = f"http://127.0.0.1:{args.port}"
    for _ in range(100):
        try:
            if call(base, "GET", "/health")[0] == 200:
                return servers, balancer, base
        except OSError:
            time.sleep(0.1)
    sys.exit(f"haproxy did not start: see {directory}/haproxy.log")


def school(base, suffix, classes):
    """A new school accredited for a new programme, with `classes` classes: its token and the
    classes' ids."""
    program = expect(call(base, "POST", "/api/v1/programs", {
        "code": f"QLNN-CV-B{suffix}", "title_vi": "Bồi dưỡng QLNN ngạch chuyên viên (bench)",
        "category_code": "QLNN-CV", "min_days": 20}), 201)
    school = expect(call(base, "POST", "/api/v1/institutions", {
        "code": f"TCT-B{suffix}", "name": "Trường Chính trị (bench)",
        "kind": "provincial_political_school"}), 201)
    expect(call(base, "POST", f"/api/v1/institutions/{school['id']}/scopes",
                {"category_code": "QLNN-CV", "valid_from": "2020-01-01"}), 201)
    client = expect(call(base, "POST", f"/api/v1/institutions/{school['id']}/clients",
                         {"label": "bench"}), 201)
    form = (f"grant_type=client_credentials&client_id={client['client_id']}"
            f"&client_secret={client['client_secret']}")
    token = expect(call(base, "POST", "/oauth/token", form=form), 200)["access_token"]
    ids = []
    for n in range(classes):
        klass = expect(call(base, "POST", "/api/v1/classes", {
            "institution_id": school["id"], "program_id": program["id"], "code": f"K{n}-2026",
            "starts_on": "2026-03-02", "ends_on": "2026-03-27", "mode": "in_person"}), 201)
        ids.append(klass["id"])
    return token, ids


def institution(base, officials, suffix):
    """A school with ten classes of 40 completions and one class to post into; its token, the
    ten classes' ids and the posting class's id."""
    token, classes = school(base, suffix, classes=11)
    roster, posting = classes[:10], classes[10]
    for n, klass in enumerate(roster):
        rows = [completion(person, klass) for person in officials[n * 40:(n + 1) * 40]]
        report = expect(call(base, "POST", "/api/v1/completions/batch", {"rows": rows}, token), 200)
        assert report["accepted"] == 40, report
    return token, roster, posting


def post_classes(base, people, suffix, size):
    """Two schools post CLASSES classes of `size` each, at once: rows per second."""
    schools = [school(base, f"{suffix}{n}", classes=CLASSES) for n in range(2)]

    def post(n):
        token, classes = schools[n]
        for k, klass in enumerate(classes):
            first = (n * CLASSES + k) * size
            rows = [completion(person, klass) for person in people[first:first + size]]
            report = expect(call(base, "POST", "/api/v1/completions/batch", {"rows": rows}, token), 200)
            assert report["accepted"] == size, str(report)[:300]

    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(post, range(2)))
    took = time.perf_counter() - started
    rows = 2 * CLASSES * size
    print(f"classes: {rows:,} completions+certificates in {took:.1f} s, {rows / took:,.0f} /s "
          f"(2 institutions at once, classes of {size:,})", flush=True)


def first_verdicts(base, requests):
    """Asks about each certificate of `requests` once (eight at a time), so that the registry
    keeps its verdict before the load is measured."""
    def ask(request):
        _, path, _, body = request
        expect(call(base, "POST", path, json.loads(body), token=None), 200)

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(ask, requests))
    print(f"verify: {len(requests):,} certificates verified once first, in "
          f"{time.perf_counter() - started:.1f} s", flush=True)


def completion(person, klass):
    national_id, full_name, date_of_birth = person
    return {"national_id": national_id, "full_name": full_name, "date_of_birth": date_of_birth,
            "class_id": klass, "duration_days": 20, "outcome": "passed"}


def wrk(args, servers, base, name, requests, directory):
    if not requests:
        print(f"{name}: nothing to ask for (too few certificates drawn)")
        return
    script, data = f"{directory}/{name}.lua", f"{directory}/{name}.tsv"
    with open(data, "w") as lines:
        lines.writelines("\t".join(request) + "\n" for request in requests)
    with open(script, "w") as lua:
        lua.write(LUA % (data, args.threads))
    out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
                          "--timeout", "30s", "--latency", "-s", script, base],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(errors.group(1)) if errors else 0
    timeouts = re.search(r"timeout (\d+)", out)
    print(f"{name}: {rate:,.0f} requests/s, p50 {p50}, p99 {p99}, {total} requests, "
          f"not 2xx {errors}, timeouts {timeouts.group(1) if timeouts else 0}, "
          f"server peak RSS {', '.join(f'{peak_rss_mb(server):.0f}' for server in servers)} MB",
          flush=True)


def peak_rss_mb(server):
    with open(f"/proc/{server.pid}/status") as status:
        return int(re.search(r"VmHWM:\s+(\d+) kB", status.read()).group(1)) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", required=True, help="a server's URL without database")
    parser.add_argument("--database", required=True, help="the generated database")
    parser.add_argument("--keys", required=True, help="the generator's keys directory")
    parser.add_argument("--bin", default="target/release/hocba")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8425,
                        help="where to serve: the generator's HOCBA_BASE_URL must be http://127.0.0.1:PORT, "
                             "the registry's DID (the certificates' issuer) is made from it")
    parser.add_argument("--servers", type=int, default=1,
                        help="server processes; more than one are put behind haproxy on --port")
    parser.add_argument("--only", default=",".join(LOADS))
    parser.add_argument("--class-size", type=int, default=1000, help="completions a class, for `classes`")
    parser.add_argument("--cold-start", action="store_true",
                        help="measure `verify` from its first request, without asking each certificate once before")
    args = parser.parse_args()
    url = f"{args.postgres}/{args.database}"
    directory = tempfile.mkdtemp(prefix="hocba-bench-national-")
    counts = psql(url, "SELECT (SELECT count(*) FROM officials), (SELECT count(*) FROM completions), "
                       "(SELECT count(*) FROM certificates), pg_database_size(current_database())")
    officials, completions, certificates, size = map(int, counts[0].split("|"))
    print(f"{args.database}: {officials:,} officials, {completions:,} completions, "
          f"{certificates:,} certificates, {size / 1e9:.1f} GB; wrk -t{args.threads} "
          f"-c{args.connections} -d{args.duration}s, {os.cpu_count()} cores", flush=True)
    ids = psql(url, "SELECT id FROM officials ORDER BY random() LIMIT 10000")
    # A sample of the table's pages that holds twice the numbers needed, at any size.
    sample = min(100.0, max(1.0, 100 * 220_000 / max(certificates, 1)))
    numbers = psql(url, f"SELECT number FROM certificates TABLESAMPLE SYSTEM ({sample:.2f}) "
                        "ORDER BY random() LIMIT 110000")
    people = [tuple(row.split("|")) for row in psql(
        url, "SELECT national_id, full_name, date_of_birth FROM officials "
             "ORDER BY random() LIMIT 100400")]
    if args.servers > 1:
        servers, balancer, base = start_behind_balancer(args, url, directory)
    else:
        server, base = start(os.path.abspath(args.bin), url, os.path.abspath(args.keys), directory, args.port)
        servers, balancer = [server], None
    try:
        suffix = time.strftime("%Y%m%d%H%M%S")
        token, roster, posting = institution(base, people[:400], suffix)
        loads = {
            "record": [("GET", f"/api/v1/officials/{i}/record", TOKEN, "") for i in ids],
            "verify": [("POST", "/api/v1/verify", "", json.dumps({"number": n})) for n in numbers[:10_000]],
            "verify-cold": [("POST", "/api/v1/verify", "", json.dumps({"number": n}))
                            for n in numbers[10_000:]],
            "roster": [("GET", f"/api/v1/classes/{c}/results", token, "") for c in roster],
            "post": [("POST", "/api/v1/completions", token, json.dumps(completion(p, posting)))
                     for p in people[400:-2 * CLASSES * args.class_size]],
        }
        for name in args.only.split(","):
            if name == "classes":
                post_classes(base, people[-2 * CLASSES * args.class_size:], suffix, args.class_size)
                continue
            if name == "verify" and not args.cold_start:
                first_verdicts(base, loads[name])
            wrk(args, servers, base, name, loads[name], directory)
        if "post" in args.only:
            posted = psql(url, f"SELECT count(*) FROM completions WHERE class_id = '{posting}'")[0]
            print(f"post: {int(posted):,} completions recorded in the posting class", flush=True)
    finally:
        for process in servers + ([balancer] if balancer else []):
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
