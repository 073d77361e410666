#!/usr/bin/env python3
"""Verifies a credential with openbadgeslib's Open Badges 3.0 Data Integrity verifier
(OB3LdpVerifier: eddsa-rdfc-2022 over the JSON-LD contexts it bundles, which it never fetches),
another implementation than Hocba's. Used by the e2e test interop::openbadgeslib_*.

    python3 scripts/openbadgeslib_verify.py CREDENTIAL.json [--check-status] \
        --serve https://hocba.test/.well-known/did.json=did.json \
        --serve https://hocba.test/status-lists/1=list.json

With --clr the document is a CLR 2.0 `ClrCredential` (a transcript): OB3LdpVerifier reads only
an `OpenBadgeCredential`, so its eddsa-rdfc-2022 proof is checked with openbadgeslib's Data
Integrity verifier and the CLR 2.0.1 context openbadgeslib bundles (verify_data_integrity_proof
with bundled_clr_contexts()); the credentials inside are checked on their own without --clr.

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
    parser.add_argument("--clr", action="store_true")
    args = parser.parse_args()
    served = dict(entry.split("=", 1) for entry in args.serve)

    def download(url: str) -> bytes:
        if url not in served:
            raise OB3VerificationError(f"{url} was not given with --serve")
        with open(served[url], "rb") as file:
            return file.read()

    with open(args.credential, "rb") as file:
        document = file.read()
    if args.clr:
        return verify_clr(json.loads(document), download)
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


def verify_clr(document, download) -> int:
    from openbadgeslib.ob3.clr import bundled_clr_contexts
    from openbadgeslib.ob3.did import resolve_verification_method
    from openbadgeslib.ob3.ldp import verify_data_integrity_proof

    proofs = document.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    rdfc = [p for p in proofs if isinstance(p, dict) and p.get("cryptosuite") == "eddsa-rdfc-2022"]
    try:
        if len(rdfc) != 1:
            raise OB3VerificationError("the transcript has no single eddsa-rdfc-2022 proof")
        key = resolve_verification_method(rdfc[0]["verificationMethod"], download)
        # A proof of a proof set signs the document without the other proofs.
        verify_data_integrity_proof({**document, "proof": rdfc[0]}, key,
                                    extra_contexts=bundled_clr_contexts())
    except OB3VerificationError as error:
        print(json.dumps({"verified": False, "error": str(error)}))
        return 1
    print(json.dumps({"verified": True, "issuer": document["issuer"]["id"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
