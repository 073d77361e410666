#!/usr/bin/env python3
"""Runs Schemathesis over every operation of openapi/openapi.json, once per role, against a
throwaway `hocba serve --demo` on loopback, and fails on any server error or any answer the spec
does not describe (status code, content type, body schema).

    scripts/schemathesis.py [--database-url postgres://…/hocba_x] [--examples 20] [--seed 1]
                            [--roles institution,client,hr,official,operator,anonymous] [--bin PATH]
                            [--spec openapi/openapi.json] [--keep]

The roles and how each gets its token:
  anonymous    none
  operator     HOCBA_ADMIN_TOKEN, which `serve` adopts as an operator token
  institution  the operator makes an API client for a demo institution; POST /oauth/token
  client       the operator registers a machine client with every scope (POST /api/v1/clients);
               POST /oauth/token
  hr           the operator makes an API key for the demo agency G01.H29
  official     a JWT signed by a local identity provider whose JWK set `serve` is given, for a
               demo official (their national ID number as `sub`)

The database is a fresh SQLite file in a temporary directory unless --database-url names a
PostgreSQL database, which must be empty (it is migrated and filled with the demo data).

Needs schemathesis and cryptography in the Python that runs it (.ci/run makes such a venv);
nothing leaves the machine. Exit: 0 when every role passed, 1 when one failed, 2 on setup error.
"""
import argparse
import base64
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT = Path(__file__).resolve().parent.parent
# The institution first: its token lasts 15 minutes from the start.
ROLES = ["institution", "client", "hr", "official", "operator", "anonymous"]
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
ISSUER, AUDIENCE, KID = "https://sso.schemathesis.test", "hocba", "schemathesis-1"
# The first demo official (src/demo.rs: province 035, male, born 1965, serial 100000), who works
# at the demo agency G01.H29.
DEMO_OFFICIAL_ID, DEMO_AGENCY = "035065100000", "G01.H29"


class SetupError(Exception):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class IdentityProvider:
    """A local OpenID provider: one Ed25519 key, its JWK set, and the tokens it signs."""

    def __init__(self):
        self.key = Ed25519PrivateKey.generate()

    def jwks(self) -> dict:
        x = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64url(x), "kid": KID}]}

    def token(self, subject: str, lifetime: int) -> str:
        now = int(time.time())
        header = {"alg": "EdDSA", "typ": "JWT", "kid": KID}
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + lifetime}
        signing_input = ".".join(b64url(json.dumps(part).encode()) for part in (header, claims))
        return f"{signing_input}.{b64url(self.key.sign(signing_input.encode()))}"


class Registry:
    """A running `hocba serve` and the calls that set up each role."""

    def __init__(self, port: int, admin_token: str):
        self.port, self.admin_token = port, admin_token

    def call(self, method, path, body=None, form=None, token=None, expect=(200, 201)):
        headers = {"Authorization": f"Bearer {token or self.admin_token}"}
        data = None
        if form is not None:
            data, headers["Content-Type"] = urllib.parse.urlencode(form), "application/x-www-form-urlencoded"
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body), "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
        finally:
            conn.close()
        if response.status not in expect:
            raise SetupError(f"{method} {path}: {response.status} {text[:500]}")
        return json.loads(text) if text else None

    def wait_until_up(self, server: subprocess.Popen, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SetupError(f"hocba serve exited with {server.returncode}")
            try:
                self.call("GET", "/health", expect=(200,))
                return
            except (OSError, SetupError):
                time.sleep(0.2)
        raise SetupError(f"hocba serve did not answer /health within {timeout:.0f} s")

    def institution_token(self) -> str:
        institution = self.call("GET", "/api/v1/institutions?limit=1")["items"][0]
        client = self.call(
            "POST", f"/api/v1/institutions/{institution['id']}/clients", {"label": "schemathesis"}
        )
        form = {
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        }
        return self.call("POST", "/oauth/token", form=form, token="none")["access_token"]

    def client_token(self) -> str:
        """A machine client's token, with every scope, as the portal would hold."""
        scopes = ["records:read", "events:read", "webhooks:manage", "completions:write"]
        client = self.call("POST", "/api/v1/clients", {"name": "schemathesis", "scopes": scopes})
        form = {
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        }
        return self.call("POST", "/oauth/token", form=form, token="none")["access_token"]

    def known_values(self) -> dict:
        """Identifiers of the demo records, so that some requests name records that exist."""
        institutions = [i["id"] for i in self.call("GET", "/api/v1/institutions?limit=200")["items"]]
        programs = [p["id"] for p in self.call("GET", "/api/v1/programs?limit=200")["items"]]
        officials = [o["id"] for o in self.call("POST", "/api/v1/officials/search", {"limit": 10}, expect=(200,))["items"]]
        certificates = [
            certificate
            for official in officials
            for certificate in self.call("GET", f"/api/v1/officials/{official}/certificates")
        ]
        return {
            "ids": institutions + programs + officials + [c["completion_id"] for c in certificates],
            "numbers": [c["number"] for c in certificates],
        }

    def hr_token(self) -> str:
        return self.call("POST", f"/api/v1/agencies/{DEMO_AGENCY}/keys", {"label": "schemathesis"})[
            "token"
        ]


def write_config(path: Path, known: dict):
    """Schemathesis's configuration: demo identifiers in half the generated path parameters, and
    the feed asked without waiting."""
    def strings(values):
        return "[" + ", ".join(json.dumps(value) for value in values) + "]"

    national_ids = [DEMO_OFFICIAL_ID, "001085012345"]
    path.write_text(f"""
[dictionaries.ids]
values = {strings(known["ids"])}
[dictionaries.numbers]
values = {strings(known["numbers"])}
[dictionaries.agencies]
values = {strings([DEMO_AGENCY, "G01.H29.03", "G09"])}
[dictionaries.national_ids]
values = {strings(national_ids)}
[dictionaries.lists]
values = [1, 2]

[parameters]
"path.id" = {{ dictionary = "ids", probability = 0.5 }}
"path.number" = {{ dictionary = "numbers", probability = 0.5 }}
"path.code" = {{ dictionary = "agencies", probability = 0.5 }}
"path.list" = {{ dictionary = "lists", probability = 0.5 }}
"body.number" = {{ dictionary = "numbers", probability = 0.5 }}
"body.national_id" = {{ dictionary = "national_ids", probability = 0.5 }}
# The feed's long-poll holds a request up to `wait` seconds, as long as the client's timeout:
# ask without waiting (the tests cover waiting).
"query.wait" = 0
""")


def schemathesis(role, token, base_url, args, report_dir) -> bool:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(report_dir / "schemathesis.toml"),
        "run",
        str(args.spec),
        "--url", base_url,
        "--checks", ",".join(CHECKS),
        "--max-examples", str(args.examples),
        "--seed", str(args.seed),
        "--phases", "examples,coverage,fuzzing",
        # One worker: with two, Hypothesis's lambda descriptions race in CPython 3.11's parser
        # ("AST constructor recursion depth mismatch").
        "--workers", "1",
        "--request-timeout", "30",
        "--generation-database", "none",
        "--no-color",
        "--report", "junit",
        "--report-junit-path", str(report_dir / f"{role}.xml"),
    ]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    print(f"\n==> schemathesis as {role}", flush=True)
    return subprocess.run(command, cwd=report_dir).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--examples", type=int, default=int(os.environ.get("SCHEMATHESIS_EXAMPLES", 20)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SCHEMATHESIS_SEED", 20260601)))
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi" / "openapi.json")
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    parser.add_argument("--bin", type=Path, default=Path(os.environ.get("HOCBA_BIN", target / "debug" / "hocba")))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    roles = args.roles.split(",")
    unknown = set(roles) - set(ROLES)
    if unknown:
        parser.error(f"unknown roles {sorted(unknown)}; known: {','.join(ROLES)}")
    if not args.bin.exists():
        print(f"schemathesis: no hocba binary at {args.bin} (cargo build --bin hocba)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="hocba-schemathesis-"))
    provider = IdentityProvider()
    (work / "idp-jwks.json").write_text(json.dumps(provider.jwks()))
    port = free_port()
    admin_token = "hocba_" + secrets.token_urlsafe(32)
    database_url = args.database_url or f"sqlite://{work / 'hocba.db'}"
    env = dict(os.environ, HOCBA_ADMIN_TOKEN=admin_token, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
    log = open(work / "server.log", "w")
    server = subprocess.Popen(
        [
            str(args.bin), "serve", "--demo",
            "--listen", f"127.0.0.1:{port}",
            "--database-url", database_url,
            "--keys-dir", str(work / "keys"),
            # Schemathesis sends far more than an institution may; the limiter is tested elsewhere.
            "--rate-limit", "1000000",
            "--oidc-issuer", ISSUER,
            "--oidc-jwks", str(work / "idp-jwks.json"),
            "--oidc-audience", AUDIENCE,
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    failed = []
    try:
        registry = Registry(port, admin_token)
        registry.wait_until_up(server, timeout=120)
        # Every token is made before any run, so that no run's requests (to /oauth/token, say)
        # can hold up the making of another's.
        make = {
            "anonymous": lambda: None,
            "operator": lambda: admin_token,
            "institution": registry.institution_token,
            "client": registry.client_token,
            "hr": registry.hr_token,
            "official": lambda: provider.token(DEMO_OFFICIAL_ID, lifetime=3600),
        }
        tokens = {role: make[role]() for role in roles}
        write_config(work / "schemathesis.toml", registry.known_values())
        base_url = f"http://127.0.0.1:{port}"
        print(f"schemathesis: {database_url.split(':')[0]} database, {args.examples} examples "
              f"per operation, seed {args.seed}", flush=True)
        for role in roles:
            if not schemathesis(role, tokens[role], base_url, args, work):
                failed.append(role)
    except SetupError as error:
        print(f"schemathesis: setup failed: {error}", file=sys.stderr)
        failed = None
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    if failed is None or failed or args.keep:
        server_errors = [line for line in (work / "server.log").read_text().splitlines() if "request failed" in line]
        for line in server_errors[:50]:
            print(f"server: {line}", file=sys.stderr)
        print(f"schemathesis: kept {work} (server.log, junit reports)", file=sys.stderr)
    else:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    if failed is None:
        return 2
    print(f"\nschemathesis: roles that failed: {', '.join(failed)}" if failed else "\nschemathesis: every role passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
