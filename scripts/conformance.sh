#!/usr/bin/env bash
# Runs the official W3C VC conformance suites against a throwaway `hocba serve` on loopback:
#   eddsa     -> w3c/vc-di-eddsa-test-suite, tag eddsa-jcs-2022 (13 tests)
#   dm2       -> w3c/vc-data-model-2.0-test-suite, tag vc2.0 (59 tests)
#   bitstring -> w3c/vc-bitstring-status-list-test-suite, tag BitstringStatusList
# through the shared offline runner (/work/shared/tools/w3c-suites/run.sh), then prints a table.
#
# The suites are not part of this repository. When they are not present (FETCH_MIRRORS unset or
# the fetched repositories missing) the script says `skipped: ...` and exits 0.
#
# Environment (all optional unless noted):
#   FETCH_MIRRORS     folder holding the fetched owner+name repositories (needed; else skipped)
#   W3C_SUITES_HOME   runner state: sources, node_modules, results (default $TMPDIR/w3c-suites;
#                     must not be inside this repository)
#   W3C_RUNNER        the runner (default /work/shared/tools/w3c-suites/run.sh)
#   HOCBA_BIN         the hocba binary (default $CARGO_TARGET_DIR|target/release/hocba, built
#                     with `cargo build --release --bin hocba` when missing)
#   HOCBA_SERVE_ARGS  extra arguments appended to `hocba serve` (word-split)
#   SUITES            which suites, in order (default "eddsa dm2 bitstring"; eddsa-rdfc and
#                     eddsa-both are accepted too)
#   ISSUER_DID        the issuer id given to the suites; default: `did_key` of
#                     GET /api/v1/keys/active (must be did:key:z6Mk…, the suites resolve only that)
#   <S>_ISSUE_URL     per-suite issue URL, S = EDDSA, EDDSA_RDFC, EDDSA_BOTH, DM2, BITSTRING
#                     (default http://127.0.0.1:PORT/credentials/issue)
#   <S>_ISSUER_OPTIONS  JSON sent as `options` in every issue request of that suite. Defaults:
#                     EDDSA {"cryptosuites":["eddsa-jcs-2022"]}, EDDSA_RDFC
#                     {"cryptosuites":["eddsa-rdfc-2022"]}, others none. Set to '' to send none.
#   HEALTH_TIMEOUT    seconds to wait for GET /health (default 60)
#   SUITE_TIMEOUT     seconds per suite run (default 900)
#   OFFLINE_ONLY_RE   extended regexp of test titles that cannot pass without the internet;
#                     their failures are shown but do not fail the script (default: the vc2.0
#                     relatedResource wrong-digest test)
#   ALLOW_FAILURES=1  exit 0 even when tests fail (report only)
#   KEEP_WORK=1       keep the temporary directory (database, keys, server log)
#
# The server gets HOCBA_ADMIN_TOKEN (a fresh random token, also used as SHIM_AUTH) and
# HOCBA_BASE_URL: the origin of a loopback HTTPS forwarder to the server, because the
# Bitstring suite fetches `statusListCredential` with an https-only document loader.
#
# Exit: 0 when every suite that ran has no failures (or skipped), 1 otherwise, 2 on setup error.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNNER="${W3C_RUNNER:-/work/shared/tools/w3c-suites/run.sh}"
SUITES="${SUITES:-eddsa dm2 bitstring}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-60}"
SUITE_TIMEOUT="${SUITE_TIMEOUT:-900}"
OFFLINE_ONLY_RE="${OFFLINE_ONLY_RE:-digest provided by the issuer does not match the digest computed for the retrieved resource}"
export W3C_SUITES_HOME="${W3C_SUITES_HOME:-${TMPDIR:-/tmp}/w3c-suites}"

skip() { echo "skipped: $*"; exit 0; }
die() { echo "conformance: $*" >&2; exit 2; }

# ---- are the suites here? -------------------------------------------------------------------
[ -x "$RUNNER" ] || skip "W3C suite runner not found at $RUNNER"
[ -n "${FETCH_MIRRORS:-}" ] || skip "FETCH_MIRRORS is not set (bring the W3C suites with the fetch tool, see /work/shared/tools/w3c-suites/README.md)"
for r in w3c+vc-test-suite-implementations w3c-ccg+data-integrity-test-suite-assertion; do
  [ -d "$FETCH_MIRRORS/$r/repo" ] || skip "$FETCH_MIRRORS/$r/repo is missing (fetch github:${r/+//})"
done
for tool in node npm curl openssl; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
repo_of() {
  case "$1" in
    eddsa|eddsa-jcs|eddsa-rdfc|eddsa-both) echo w3c+vc-di-eddsa-test-suite ;;
    dm2) echo w3c+vc-data-model-2.0-test-suite ;;
    bitstring) echo w3c+vc-bitstring-status-list-test-suite ;;
    *) return 1 ;;
  esac
}
RUN_SUITES=(); SKIPPED_SUITES=()
for s in $SUITES; do
  r="$(repo_of "$s")" || die "unknown suite '$s' (eddsa, eddsa-rdfc, eddsa-both, dm2, bitstring)"
  if [ -d "$FETCH_MIRRORS/$r/repo" ]; then RUN_SUITES+=("$s"); else SKIPPED_SUITES+=("$s"); fi
done
[ ${#RUN_SUITES[@]} -gt 0 ] || skip "none of the suites ($SUITES) is in $FETCH_MIRRORS"

# Checked before anything is created there: the runner's state never goes into the project.
suites_home_abs="$(realpath -m "$W3C_SUITES_HOME")"
case "$suites_home_abs/" in
  "$(realpath -m "$ROOT")/"*) die "W3C_SUITES_HOME ($W3C_SUITES_HOME) must not be inside the repository" ;;
esac
mkdir -p "$W3C_SUITES_HOME"

# ---- the binary -------------------------------------------------------------------------------
if [ -n "${HOCBA_BIN:-}" ]; then
  HOCBA="$HOCBA_BIN"
else
  HOCBA="${CARGO_TARGET_DIR:-$ROOT/target}/release/hocba"
  if [ ! -x "$HOCBA" ]; then
    echo "building hocba (cargo build --release --bin hocba)..."
    (cd "$ROOT" && cargo build --release --bin hocba)
  fi
fi
[ -x "$HOCBA" ] || die "hocba binary not found or not executable: $HOCBA"

# ---- scratch space, cleanup -------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/hocba-conformance.XXXXXX")"
SERVER_PID=""; PROXY_PID=""
cleanup() {
  local rc=$?
  for pid in "$SERVER_PID" "$PROXY_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ -s "$WORK/server.log" ]; then
    mkdir -p "$W3C_SUITES_HOME/results"
    cp "$WORK/server.log" "$W3C_SUITES_HOME/results/hocba-server-$(date +%Y%m%d-%H%M%S).log" 2>/dev/null || true
  fi
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
PORT="$(free_port)"
PUB_PORT="$(free_port)"
while [ "$PUB_PORT" = "$PORT" ]; do PUB_PORT="$(free_port)"; done
API="http://127.0.0.1:$PORT"
PUBLIC_URL="https://127.0.0.1:$PUB_PORT"

# A fresh operator token: hocba_ + 43 base64url characters (32 random bytes).
TOKEN="hocba_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"

# ---- loopback HTTPS forwarder for public documents (status lists) -----------------------------
mkdir -p "$WORK/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" >/dev/null 2>&1 || die "openssl failed"
cat >"$WORK/public-proxy.cjs" <<'EOF'
// https://127.0.0.1:<port>/<anything> -> <target>/<anything> (loopback only, no auth added)
const https = require('https'); const http = require('http'); const fs = require('fs');
const [port, dir, target] = process.argv.slice(2);
const t = new URL(target);
https.createServer({key: fs.readFileSync(dir + '/key.pem'), cert: fs.readFileSync(dir + '/cert.pem')}, (req, res) => {
  const headers = {...req.headers}; delete headers.host;
  const up = http.request({host: t.hostname, port: t.port, path: req.url, method: req.method, headers}, ur => {
    res.writeHead(ur.statusCode, ur.headers); ur.pipe(res);
  });
  up.on('error', e => { res.writeHead(502, {'content-type': 'application/json'}); res.end(JSON.stringify({error: String(e)})); });
  req.pipe(up);
}).listen(Number(port), '127.0.0.1');
EOF
node "$WORK/public-proxy.cjs" "$PUB_PORT" "$WORK/tls" "$API" >"$WORK/public-proxy.log" 2>&1 &
PROXY_PID=$!

# ---- the server -------------------------------------------------------------------------------
mkdir -p "$WORK/keys"
echo "starting $HOCBA serve on $API (public $PUBLIC_URL)"
# shellcheck disable=SC2086 # HOCBA_SERVE_ARGS is meant to be word-split
HOCBA_ADMIN_TOKEN="$TOKEN" HOCBA_BASE_URL="$PUBLIC_URL" RUST_LOG="${RUST_LOG:-info}" \
  "$HOCBA" serve --database-url "sqlite://$WORK/hocba.db" --listen "127.0.0.1:$PORT" \
  --keys-dir "$WORK/keys" ${HOCBA_SERVE_ARGS:-} >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

deadline=$((SECONDS + HEALTH_TIMEOUT))
until curl -sf -o /dev/null "$API/health"; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "hocba serve exited before answering /health; its log:" >&2
    tail -40 "$WORK/server.log" >&2
    exit 1
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "hocba serve did not answer $API/health within ${HEALTH_TIMEOUT}s; its log:" >&2
    tail -40 "$WORK/server.log" >&2
    exit 1
  fi
  sleep 0.3
done

# If the server minted its own token instead of adopting ours, use the one it printed.
printed="$(grep -oE 'hocba_[A-Za-z0-9_-]{32,}' "$WORK/server.log" | head -1 || true)"
if [ -n "$printed" ] && [ "$printed" != "$TOKEN" ]; then TOKEN="$printed"; fi

# ---- issuer id --------------------------------------------------------------------------------
# The suites resolve only did:key offline: issue as the did:key form of the active registry key
# (GET /api/v1/keys/active -> {"did_key": "did:key:z6Mk…"}).
if [ -z "${ISSUER_DID:-}" ]; then
  ISSUER_DID="$(curl -sf -H "Authorization: Bearer $TOKEN" "$API/api/v1/keys/active" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).did_key||"")}catch{console.log("")}})' \
    || true)"
fi
if [ -z "$ISSUER_DID" ]; then
  echo "conformance: no issuer DID: GET $API/api/v1/keys/active gave no \`did_key\` (set ISSUER_DID to override)" >&2
  exit 1
fi
case "$ISSUER_DID" in
  did:key:z6Mk*) ;;
  *) echo "warning: issuer $ISSUER_DID is not an Ed25519 did:key; the eddsa suite resolves only did:key:z6Mk…#z6Mk… offline" >&2 ;;
esac
echo "issuer: $ISSUER_DID"

# ---- run the suites ---------------------------------------------------------------------------
default_options() {
  case "$1" in
    eddsa|eddsa-jcs) echo '{"cryptosuites":["eddsa-jcs-2022"]}' ;;
    eddsa-rdfc) echo '{"cryptosuites":["eddsa-rdfc-2022"]}' ;;
    *) echo '' ;;
  esac
}
declare -A SUMMARY OFFLINE RC
for s in "${RUN_SUITES[@]}"; do
  prefix="$(echo "$s" | tr 'a-z-' 'A-Z_')"
  url_var="${prefix}_ISSUE_URL"; opt_var="${prefix}_ISSUER_OPTIONS"
  issue_url="${!url_var:-$API/credentials/issue}"
  options="${!opt_var-$(default_options "$s")}"
  echo
  echo "=== $s: issue $issue_url${options:+ options=$options}"
  out="$WORK/$s.out"
  set +e
  SHIM_AUTH="Bearer $TOKEN" ISSUER_OPTIONS="$options" \
    timeout "$SUITE_TIMEOUT" "$RUNNER" "$s" "$issue_url" "$API/credentials/verify" "$ISSUER_DID" \
    2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  set -e
  RC[$s]=$rc
  SUMMARY[$s]="$(grep -E '^SUMMARY ' "$out" | tail -1 || true)"
  OFFLINE[$s]="$(grep -E '^FAIL ' "$out" | grep -cE "$OFFLINE_ONLY_RE" || true)"
done

# ---- table ------------------------------------------------------------------------------------
field() { sed -nE "s/.* $2=([0-9]+).*/\1/p" <<<"$1"; }
echo
printf '%-10s %7s %7s %8s %6s %8s  %s\n' suite passed failed pending total offline result
status=0
for s in "${RUN_SUITES[@]}"; do
  line="${SUMMARY[$s]}"
  if [ -z "$line" ] || grep -q 'error=1' <<<"$line"; then
    printf '%-10s %7s %7s %8s %6s %8s  %s\n' "$s" - - - - - "ERROR (runner rc=${RC[$s]}, no results)"
    status=1; continue
  fi
  p="$(field "$line" passed)"; f="$(field "$line" failed)"; n="$(field "$line" pending)"; t="$(field "$line" total)"
  o="${OFFLINE[$s]:-0}"
  if [ "${RC[$s]}" -gt 1 ]; then result="ERROR (runner rc=${RC[$s]})"; status=1
  elif [ "$((f - o))" -gt 0 ]; then result="FAIL"; status=1
  elif [ "$f" -gt 0 ]; then result="ok (offline-only failures)"
  else result="ok"; fi
  printf '%-10s %7s %7s %8s %6s %8s  %s\n' "$s" "$p" "$f" "$n" "$t" "$o" "$result"
done
for s in "${SKIPPED_SUITES[@]+"${SKIPPED_SUITES[@]}"}"; do
  printf '%-10s %7s %7s %8s %6s %8s  %s\n' "$s" - - - - - "skipped (not fetched)"
done
echo "(results: $W3C_SUITES_HOME/results; 'offline' = failures of tests that need the internet)"
if [ -n "${ALLOW_FAILURES:-}" ]; then exit 0; fi
exit "$status"
