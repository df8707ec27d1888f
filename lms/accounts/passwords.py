"""Password hashing with argon2id (pure: no Flask, no database)."""

from __future__ import annotations

from collections.abc import Mapping

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 128


def hasher(params: Mapping[str, int]) -> PasswordHasher:
    """An argon2id hasher with the given ``time_cost``, ``memory_cost`` and ``parallelism``."""
    return PasswordHasher(
        time_cost=params["time_cost"],
        memory_cost=params["memory_cost"],
        parallelism=params["parallelism"],
        type=Type.ID,
    )


def hash_password(password: str, params: Mapping[str, int]) -> str:
    return hasher(params).hash(password)


def verify_password(stored_hash: str | None, password: str, params: Mapping[str, int]) -> bool:
    """True when ``password`` matches; False for a mismatch or an unusable stored hash."""
    if not stored_hash:
        return False
    try:
        return hasher(params).verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, params: Mapping[str, int]) -> bool:
    """True when the hash was made with other parameters than the configured ones."""
    return hasher(params).check_needs_rehash(stored_hash)
