"""Signed credentials (no Flask, no DB): Open Badges 3.0-shaped verifiable credentials as
JWTs signed with Ed25519, their keys, and their offline verification.

Keys: the signing key is an Ed25519 private key in PEM (``LMS_SIGNING_KEY``, the same on
every app host); retired keys stay as public keys (``LMS_SIGNING_KEYS_RETIRED``) so that
credentials signed before a rotation keep verifying. A key's id is its RFC 7638 JWK
thumbprint, so anyone can recompute it from the public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lms.crypto import private_from_pem, public_from_pem

OB_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


class CredentialError(Exception):
    """A credential that does not verify; ``reason`` says why in a word ("malformed",
    "unknown-key", "signature", "expired", "not-yet-valid", "claims")."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The RFC 7638 thumbprint of the key's JWK (sha256, base64url)."""
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw_public(key))},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def jwk(key: Ed25519PublicKey) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(raw_public(key)),
        "kid": key_id(key),
        "use": "sig",
        "alg": "EdDSA",
    }


@dataclass(frozen=True)
class KeyRing:
    """The key that signs now (None: credentials cannot be issued), and every public key
    that verifies, by key id (the current one and the retired ones)."""

    signing: Ed25519PrivateKey | None
    public: dict[str, Ed25519PublicKey] = field(default_factory=dict)

    @property
    def kid(self) -> str | None:
        return key_id(self.signing.public_key()) if self.signing else None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [jwk(key) for key in self.public.values()]}


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_ring(signing_pem: str | bytes | None, retired_pems: Iterable[str]) -> KeyRing:
    signing = private_from_pem(signing_pem) if signing_pem else None
    public: dict[str, Ed25519PublicKey] = {}
    if signing is not None:
        public[key_id(signing.public_key())] = signing.public_key()
    for pem in retired_pems:
        key = public_from_pem(pem)
        public.setdefault(key_id(key), key)
    return KeyRing(signing, public)


def ring_from_jwks(document: Mapping[str, Any]) -> KeyRing:
    """The public keys of a JWKS document (for verifying with someone else's keys)."""
    public: dict[str, Ed25519PublicKey] = {}
    for entry in document.get("keys", []):
        if entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519" and entry.get("x"):
            raw = base64.urlsafe_b64decode(entry["x"] + "=" * (-len(entry["x"]) % 4))
            key = Ed25519PublicKey.from_public_bytes(raw)
            public[key_id(key)] = key
    return KeyRing(None, public)


# --- The credential ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Achievement:
    """What a certificate says, for its credential."""

    serial: str
    verify_url: str
    issuer_url: str
    issuer_name: str
    holder_name: str
    course_url: str
    course_title: str
    course_summary: str
    criteria: str
    issued_at: datetime
    completed_on: date
    expires_on: date | None
    evidence: list[dict[str, Any]] = field(default_factory=list)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc)  # noqa: UP017


def credential(achievement: Achievement) -> dict[str, Any]:
    """The Open Badges 3.0 ``OpenBadgeCredential`` (a W3C verifiable credential)."""
    body: dict[str, Any] = {
        "@context": OB_CONTEXT,
        "id": achievement.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": achievement.issuer_url,
            "type": ["Profile"],
            "name": achievement.issuer_name,
        },
        "validFrom": achievement.issued_at.isoformat(),
        "name": achievement.course_title,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": achievement.holder_name,
            "activityEndDate": _end_of(achievement.completed_on).isoformat(),
            "achievement": {
                "id": achievement.course_url,
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": achievement.course_title,
                "description": achievement.course_summary,
                "criteria": {"narrative": achievement.criteria},
            },
        },
    }
    if achievement.expires_on is not None:
        body["validUntil"] = _end_of(achievement.expires_on).isoformat()
    if achievement.evidence:
        body["evidence"] = achievement.evidence
    return body


def sign(achievement: Achievement, ring: KeyRing) -> str:
    """The credential as a JWT (VC-JWT claims around it), signed with the current key.

    :raises CredentialError: there is no signing key.
    """
    if ring.signing is None:
        raise CredentialError("no-key", "no signing key is configured (LMS_SIGNING_KEY)")
    claims: dict[str, Any] = {
        "iss": achievement.issuer_url,
        "sub": achievement.verify_url,
        "jti": f"urn:protect-lms:certificate:{achievement.serial}",
        "iat": int(achievement.issued_at.timestamp()),
        "nbf": int(achievement.issued_at.timestamp()),
        "vc": credential(achievement),
    }
    if achievement.expires_on is not None:
        claims["exp"] = int(_end_of(achievement.expires_on).timestamp())
    return jwt.encode(
        claims, ring.signing, algorithm="EdDSA", headers={"kid": ring.kid, "typ": "JWT"}
    )


def verify(token: str, ring: KeyRing, *, now: datetime) -> dict[str, Any]:
    """The claims of a credential that verifies with one of ``ring``'s keys at ``now``.

    :raises CredentialError: with the reason it does not.
    """
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.exceptions.DecodeError:
        raise CredentialError("malformed", "this is not a signed credential (JWT)") from None
    if header.get("alg") != "EdDSA":
        raise CredentialError("malformed", f"unexpected algorithm {header.get('alg')!r}")
    key = ring.public.get(str(header.get("kid")))
    if key is None:
        raise CredentialError("unknown-key", f"no known key has the id {header.get('kid')!r}")
    try:
        # Times are checked below against the caller's clock, not PyJWT's.
        claims = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            options={
                "require": ["iss", "jti", "iat", "vc"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.exceptions.InvalidSignatureError:
        raise CredentialError("signature", "the signature does not match: it was altered") from None
    except jwt.exceptions.MissingRequiredClaimError as error:
        raise CredentialError("claims", str(error)) from None
    except jwt.exceptions.PyJWTError as error:
        raise CredentialError("malformed", str(error)) from None
    stamp = now.timestamp()
    if "nbf" in claims and stamp < claims["nbf"]:
        raise CredentialError("not-yet-valid", "the credential is not valid yet")
    if "exp" in claims and stamp > claims["exp"]:
        expired = datetime.fromtimestamp(claims["exp"], tz=timezone.utc).date()  # noqa: UP017
        raise CredentialError("expired", f"the credential expired on {expired.isoformat()}")
    if "OpenBadgeCredential" not in claims["vc"].get("type", []):
        raise CredentialError("claims", "this is not an Open Badges credential")
    return claims
