#!/usr/bin/env python3
"""Verifies a credential with openbadgeslib's Open Badges 3.0 Data Integrity verifier
(OB3LdpVerifier: eddsa-rdfc-2022 over the JSON-LD contexts it bundles, which it never fetches),
another implementation than Hocba's. Used by the e2e test interop::openbadgeslib_*.

    python3 scripts/openbadgeslib_verify.py CREDENTIAL.json [--check-status] \
        --serve https://hocba.test/.well-known/did.json=did.json \
        --serve https://hocba.test/status-lists/1=list.json

Nothing is fetched: every URL the verifier asks for (the issuer's did:web document, a status
list) must be given with --serve. Prints {"verified": true} or {"verified": false, "error": ...}
and exits 0 or 1.

With --check-status the revocation bit is read from the status list, but the list's own proof
is not checked here: openbadgeslib verifies a list's proof only when the list is a JWT-VC, and
the registry publishes a Data Integrity one (which Hocba's own verifier checks).
"""

import argparse
import json
import sys

from openbadgeslib.ob3.ldp import OB3LdpVerifier
from openbadgeslib.ob3.verifier import OB3VerificationError


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("credential")
    parser.add_argument("--serve", action="append", default=[], metavar="URL=FILE")
    parser.add_argument("--check-status", action="store_true")
    args = parser.parse_args()
    served = dict(entry.split("=", 1) for entry in args.serve)

    def download(url: str) -> bytes:
        if url not in served:
            raise OB3VerificationError(f"{url} was not given with --serve")
        with open(served[url], "rb") as file:
            return file.read()

    with open(args.credential, "rb") as file:
        document = file.read()
    try:
        credential = OB3LdpVerifier().verify(
            document, check_status=args.check_status, download=download,
            verify_status_list=False)
    except OB3VerificationError as error:
        print(json.dumps({"verified": False, "error": str(error)}))
        return 1
    print(json.dumps({"verified": True, "issuer": credential.issuer.id,
                      "achievement": credential.achievement.name}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
