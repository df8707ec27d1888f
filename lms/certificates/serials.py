"""Certificate serial codes (pure: no Flask, no DB).

A serial is 75 random bits written as 15 characters of Crockford's base 32 (digits and
letters without I, L, O and U, so nothing reads as another thing aloud or on paper), then
one check character, in four groups of four: ``K7QM-2XHD-9RTB-V4NC``.

The check character is Damm's algorithm over the field of 32 elements (the quasigroup
x ∘ y = 2·x + y in GF(2⁵), which is totally anti-symmetric): it catches every single
mistyped character and every swap of two neighbours (the Luhn algorithm misses some
swaps), so a misread code is refused before any lookup. Reading a typed code forgives
case, spaces, dashes, the letters people confuse with digits (O for 0, I and L for 1) and
Cyrillic letters that look Latin.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DATA_LENGTH = 15
#: Random bits in a serial (15 characters of 5 bits).
BITS = DATA_LENGTH * 5
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_CONFUSED = str.maketrans(
    {
        "O": "0",
        "I": "1",
        "L": "1",
        # Cyrillic letters typed on a Russian keyboard for their Latin look-alikes.
        "А": "A",
        "В": "B",
        "С": "C",
        "Е": "E",
        "Н": "H",
        "К": "K",
        "М": "M",
        "О": "0",
        "Р": "P",
        "Т": "T",
        "Х": "X",
        "У": "Y",
        "З": "3",
    }
)


class SerialError(ValueError):
    """A typed code that cannot be a serial: ``reason`` is "length", "character" or
    "check"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: x⁵ + x² + 1, irreducible: GF(32) is the polynomials over GF(2) modulo it.
_MODULUS = 0b100101


def _times_two(x: int) -> int:
    """2·x in GF(32): shift left, reduce by the modulus."""
    x <<= 1
    return x ^ _MODULUS if x & 0b100000 else x


def _interim(code: str) -> int:
    """Damm's interim value: x ← 2·x + v for each character (+ is XOR in GF(32))."""
    interim = 0
    for char in code:
        interim = _times_two(interim) ^ _VALUE[char]
    return interim


def check_character(data: str) -> str:
    """The check character c of ``data``: the one that brings the interim to 0, that is
    2·x + c = 0, so c = 2·x."""
    return ALPHABET[_times_two(_interim(data))]


def is_valid(code: str) -> bool:
    """Whether a compact code (16 characters, no dashes) carries a right check character."""
    return (
        len(code) == DATA_LENGTH + 1
        and all(char in _VALUE for char in code)
        and _interim(code) == 0
    )


def new_serial() -> str:
    """A fresh random serial, compact (no dashes): 75 bits from the system's CSPRNG."""
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_LENGTH))
    return data + check_character(data)


def grouped(code: str) -> str:
    """``K7QM2XHD9RTBV4NC`` → ``K7QM-2XHD-9RTB-V4NC`` (for printing and reading aloud)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(typed: str) -> str:
    """The compact serial a person typed, or :class:`SerialError` saying what is wrong."""
    compact = "".join(char for char in typed.upper().translate(_CONFUSED) if char not in " -–—_.\t")
    if len(compact) != DATA_LENGTH + 1:
        raise SerialError("length")
    if any(char not in _VALUE for char in compact):
        raise SerialError("character")
    if _interim(compact) != 0:
        raise SerialError("check")
    return compact
