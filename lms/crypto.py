"""Small cryptographic helpers: secret tokens, their hashes, and field encryption.

Secrets stored in the database (TOTP seeds) are encrypted with a key derived from the
application's secret key, so a copy of the database alone does not reveal them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: Letters and digits that cannot be confused when read from paper (no 0/O, 1/I/L, 5/S).
SLIP_ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ2346789"


def new_token() -> str:
    """A 256-bit random token for URLs and cookies."""
    return secrets.token_urlsafe(32)


def new_code(length: int = 12, group: int = 4) -> str:
    """A human-typable random code (about 58 bits for 12 characters), grouped with dashes."""
    raw = "".join(secrets.choice(SLIP_ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + group] for i in range(0, length, group))


def normalise_code(code: str) -> str:
    """What the user typed, without spaces or dashes, upper case."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def token_hash(token: str) -> str:
    """sha256 of a high-entropy token (tokens are random, so a fast hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _fernet(secret_key: str | bytes, purpose: str) -> Fernet:
    key_material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"lms:{purpose}".encode()
    ).derive(key_material)
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(value: str, *, secret_key: str | bytes, purpose: str) -> str:
    return _fernet(secret_key, purpose).encrypt(value.encode()).decode()


def decrypt(value: str, *, secret_key: str | bytes, purpose: str) -> str | None:
    """The plain value, or None when it cannot be decrypted (a different secret key)."""
    try:
        return _fernet(secret_key, purpose).decrypt(value.encode()).decode()
    except (InvalidToken, ValueError):
        return None


# --- Field encryption with keys from configuration (mentoring records) ---------------------


def fernet_keys(value: str | list[str] | None) -> list[str]:
    """Fernet keys from a setting: one key, a list, or keys joined by commas (the first
    encrypts; the others still decrypt, so a key can be rotated)."""
    if not value:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [item.strip() for item in items if item and item.strip()]


def multi_fernet(keys: list[str]) -> MultiFernet:
    """Raises ValueError naming the position of a key that is not a Fernet key."""
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ValueError(
                f"key {number} is not a Fernet key (44 URL-safe base64 characters)"
            ) from None
    return MultiFernet(fernets)


def rotate(token: str, box: MultiFernet) -> str:
    """The same plain text encrypted with the first key."""
    return box.rotate(token.encode()).decode()


# --- Ed25519 keys (certificate credentials) --------------------------------------------------


def _pem_bytes(pem: str | bytes) -> bytes:
    """PEM text as bytes; a key kept on one line of an environment file, with its line
    breaks written as ``\\n``, is unfolded."""
    data = pem.encode() if isinstance(pem, str) else pem
    return data.strip().replace(b"\\n", b"\n")


def private_from_pem(pem: str | bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(_pem_bytes(pem), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 private key")
    return key


def public_from_pem(pem: str | bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(_pem_bytes(pem))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("a retired key must be an Ed25519 public key")
    return key


def new_private_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
