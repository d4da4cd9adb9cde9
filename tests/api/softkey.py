"""softkey.py: a software WebAuthn authenticator for the tests — an ES256 (P-256) key from
Debian's python3-cryptography, written here from the W3C WebAuthn Level 2 and CTAP2 texts
and not from Gatehouse's code, with knobs to make every kind of wrong answer.
"""
import base64
import hashlib
import json
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT, ED = 0x01, 0x04, 0x40, 0x80


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def cbor(v):
    """Canonical CBOR of ints, bytes, str, lists and dicts (RFC 8949 §3)."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
            if n < 1 << (8 * struct.calcsize(fmt)):
                return bytes([major << 5 | ai]) + struct.pack(fmt, n)
    if isinstance(v, bool):
        return bytes([0xf5 if v else 0xf4])
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        return head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


class SoftKey:
    """One credential: create() registers it, get() signs in with it."""

    def __init__(self, rp_id, origin, private_value=None, cred_id=None):
        self.rp_id, self.origin = rp_id, origin
        self.key = (ec.derive_private_key(private_value, ec.SECP256R1()) if private_value
                    else ec.generate_private_key(ec.SECP256R1()))
        self.cred_id = cred_id or os.urandom(32)
        self.count = 0

    def cose(self):
        n = self.key.public_key().public_numbers()
        return cbor({1: 2, 3: -7, -1: 1, -2: n.x.to_bytes(32, "big"), -3: n.y.to_bytes(32, "big")})

    def client_data(self, typ, challenge, origin=None, cross=None):
        d = {"type": typ, "challenge": challenge, "origin": origin or self.origin}
        if cross is not None:
            d["crossOrigin"] = cross
        return json.dumps(d, separators=(",", ":")).encode()

    def auth_data(self, flags, count, rp_id=None, attested=False):
        ad = hashlib.sha256((rp_id or self.rp_id).encode()).digest() + bytes([flags])
        ad += struct.pack(">I", count)
        if attested:
            ad += bytes(16) + struct.pack(">H", len(self.cred_id)) + self.cred_id + self.cose()
        return ad

    def sign(self, data):
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def create(self, challenge, origin=None, rp_id=None, flags=UP | UV | AT, fmt="none",
               typ="webauthn.create", cross=None):
        """The form fields of a registration answering challenge (base64url)."""
        cd = self.client_data(typ, challenge, origin, cross)
        ad = self.auth_data(flags, self.count, rp_id, attested=bool(flags & AT))
        stmt = {}
        if fmt == "packed":
            stmt = {"alg": -7, "sig": self.sign(ad + hashlib.sha256(cd).digest())}
        att = cbor({"fmt": fmt, "attStmt": stmt, "authData": ad})
        return {"client_data": b64u(cd), "attestation": b64u(att)}

    def get(self, challenge, origin=None, rp_id=None, flags=UP | UV, count=None,
            typ="webauthn.get", cred_id=None, signer=None, cross=None):
        """The form fields of an assertion answering challenge (base64url)."""
        if count is None:
            self.count += 1
            count = self.count
        cd = self.client_data(typ, challenge, origin, cross)
        ad = self.auth_data(flags, count, rp_id)
        sig = (signer or self).sign(ad + hashlib.sha256(cd).digest())
        return {"credential_id": b64u(cred_id or self.cred_id), "client_data": b64u(cd),
                "authenticator_data": b64u(ad), "signature": b64u(sig)}
