"""An independent check of the registry's audit log: signed checkpoints (C2SP signed-note and
tlog-checkpoint) and RFC 6962 proofs, verified as RFC 9162 sections 2.1.3.2 and 2.1.4.2 write the
algorithms, with Python's hashlib and the `cryptography` package's Ed25519.

Reads one JSON object on standard input:
  vkeys        signed-note verifier keys (name+hexid+base64(0x01 || key))
  checkpoints  signed checkpoints, as served
  inclusion    [{checkpoint, index, leaf_hash, hashes}] proofs against checkpoint number `checkpoint`
  consistency  [{old, new, hashes}] proofs between checkpoint numbers `old` and `new`
  entries      [{canonical, leaf_hash}] events as the operator sees them
Prints `ok` and exits 0 when everything holds; otherwise prints what failed and exits 1.
"""

import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def fail(reason):
    print(reason)
    sys.exit(1)


def parse_vkey(vkey):
    # The name holds no "+"; the base64 key may.
    name, key_id, key = vkey.split("+", 2)
    key = base64.b64decode(key)
    if key[0] != 1 or len(key) != 33:
        fail("not an Ed25519 verifier key")
    if hashlib.sha256(name.encode() + b"\n" + key).digest()[:4] != bytes.fromhex(key_id):
        fail("the verifier key's id does not match its key")
    return name, bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(key[1:])


def open_checkpoint(note, vkeys):
    split = note.rindex("\n\n")
    text, signatures = note[: split + 1], note[split + 2 :]
    verified = False
    for line in signatures.splitlines():
        if not line.startswith("\u2014 "):
            fail("a signature line does not start with an em dash")
        name, signature = line[2:].split(" ")
        signature = base64.b64decode(signature)
        for key_name, key_id, key in vkeys:
            if name == key_name and signature[:4] == key_id:
                try:
                    key.verify(signature[4:], text.encode())
                except InvalidSignature:
                    fail("a checkpoint's signature does not hold")
                verified = True
    if not verified:
        fail("a checkpoint is signed by none of the keys")
    origin, size, root = text.split("\n")[:3]
    if origin not in [name for name, _, _ in vkeys]:
        fail("the checkpoint's origin is not its key's name")
    return int(size), base64.b64decode(root)


def verify_inclusion(index, size, leaf_hash, path, root):
    # RFC 9162, 2.1.3.2.
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, path):
    # RFC 9162, 2.1.4.2.
    if first == second:
        return not path and first_hash == second_hash
    if first == 0 or first > second:
        return False
    if first & (first - 1) == 0:
        path = [first_hash] + path
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def main():
    given = json.load(sys.stdin)
    b64 = base64.b64decode
    vkeys = [parse_vkey(vkey) for vkey in given["vkeys"]]
    heads = [open_checkpoint(note, vkeys) for note in given["checkpoints"]]
    for proof in given.get("inclusion", []):
        size, root = heads[proof["checkpoint"]]
        path = [b64(h) for h in proof["hashes"]]
        if not verify_inclusion(proof["index"], size, b64(proof["leaf_hash"]), path, root):
            fail(f"the inclusion proof of leaf {proof['index']} in {size} does not hold")
    for proof in given.get("consistency", []):
        (old, old_root), (new, new_root) = heads[proof["old"]], heads[proof["new"]]
        path = [b64(h) for h in proof["hashes"]]
        if not verify_consistency(old, new, old_root, new_root, path):
            fail(f"the consistency proof from {old} to {new} does not hold")
    for entry in given.get("entries", []):
        if hashlib.sha256(b"\x00" + b64(entry["canonical"])).digest() != b64(entry["leaf_hash"]):
            fail("an event's canonical bytes do not hash to its leaf")
    print("ok")


main()
