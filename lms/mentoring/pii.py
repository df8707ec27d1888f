"""The guard against victims' personal data in mentoring records (pure: no DB, no Flask).

Mentoring records describe how a unit works, never whom a case is about. Before a record is
saved its free texts are searched for what looks like personal data: telephone numbers (in
Latin, Persian or Arabic-Indic digits), e-mail addresses, Pakistani CNICs, passport-like
numbers, long digit runs, machine-readable zone lines, dates of birth and names next to the
word "victim". Names and addresses in free prose cannot be found reliably this way: the
guard is an aid to the mentor, not a guarantee (see docs/mentoring.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

#: Regions whose national number formats are tried (the programme's countries and their
#: neighbours); numbers written with a + country code are found whatever the region.
PHONE_REGIONS = ("PK", "AF", "IQ", "UZ", "KZ", "KG", "TJ", "TM", "IR", "RU")

KINDS = ("phone", "email", "national_id", "passport", "mrz", "birth_date", "victim_name", "number")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
#: Pakistani CNIC: 5 + 7 + 1 digits, dashes optional.
_CNIC = re.compile(r"(?<!\d)\d{5}-?\d{7}-?\d(?!\d)")
#: One or two capital Latin letters and 6 to 9 digits (most passports of the region).
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}\s?\d{6,9}(?![A-Za-z0-9])")
#: A machine-readable zone line of a passport or ID card (ICAO 9303).
_MRZ = re.compile(r"[A-Z0-9<]{25,44}")
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[\s-]?\d){8,}(?!\d)")
_DATE = (
    r"\d{1,2}\s?[./-]\s?\d{1,2}\s?[./-]\s?(?:\d{4}|\d{2})"
    r"|\d{4}\s?[./-]\s?\d{1,2}\s?[./-]\s?\d{1,2}|(?:13|14|19|20)\d{2}"
)
_BIRTH = re.compile(
    r"(?:\bDOB\b|\bD\.O\.B\.?|\bborn\b|\bdate of birth\b|\bbirth\s?date\b|\bд\.\s?р\.|"
    r"дата рождения|\bрод(?:\.|ил(?:ся|ась))|\bг\.\s?р\.|туғилган|туған|туулган|таваллуд|"
    r"تاریخ تولد|متولد|تاريخ الميلاد|مواليد|تاریخ پیدائش|پیدائش|د زیږېدو|زیږېدلی)"
    r"[\s:,-]{0,6}(?:(?:on|in|в|:)\s{0,3})?(" + _DATE + r")",
    re.IGNORECASE | re.UNICODE,
)
_VICTIM = re.compile(
    r"(?i:\bvictims?\b|\bsurvivors?\b|\bжертв\w*|\bпотерпевш\w*|\bпострадавш\w*|قربانی|قرباني|ضحية|متاثرہ|"
    r"\bjabrlanuvchi\w*|\bжәбірленуш\w*|\bжабырлануучу\w*|\bҷабрдида\w*)"
    r"[\s:,-]{1,4}((?:[A-ZА-ЯЁӘҒҚҢӨҰҮҺІЎҲҶӢӮ][\w'’-]+)(?:\s[A-ZА-ЯЁӘҒҚҢӨҰҮҺІЎҲҶӢӮ][\w'’-]+)?)",
    re.UNICODE,
)


@dataclass(frozen=True)
class Finding:
    """Something that looks like personal data: its kind and where it is in the text."""

    kind: str
    start: int
    end: int

    def excerpt(self, text: str) -> str:
        return text[self.start : self.end]


def ascii_digits(text: str) -> str:
    """The text with every decimal digit (Persian, Arabic-Indic, …) as an ASCII digit;
    one character for one, so the positions found stay those of the original."""
    return "".join(
        str(unicodedata.decimal(ch)) if not ch.isascii() and ch.isdecimal() else ch for ch in text
    )


def find(text: str) -> list[Finding]:
    """Everything in ``text`` that looks like personal data, in reading order, overlaps
    kept to the most specific kind."""
    if not text:
        return []
    plain = ascii_digits(text)
    found: list[Finding] = []

    def add(kind: str, start: int, end: int) -> None:
        if not any(f.start < end and start < f.end for f in found):
            found.append(Finding(kind, start, end))

    for match in _MRZ.finditer(plain):
        if "<<" in match.group():
            add("mrz", match.start(), match.end())
    for match in _EMAIL.finditer(plain):
        add("email", match.start(), match.end())
    for match in _BIRTH.finditer(plain):
        add("birth_date", match.start(1), match.end(1))
    for match in _CNIC.finditer(plain):
        add("national_id", match.start(), match.end())
    for region in PHONE_REGIONS:
        for number in phonenumbers.PhoneNumberMatcher(
            plain, region, leniency=phonenumbers.Leniency.VALID
        ):
            add("phone", number.start, number.end)
    for match in _PASSPORT.finditer(plain):
        add("passport", match.start(), match.end())
    for match in _VICTIM.finditer(plain):
        add("victim_name", match.start(1), match.end(1))
    for match in _DIGIT_RUN.finditer(plain):
        add("number", match.start(), match.end())
    return sorted(found, key=lambda f: f.start)


def find_in(texts: dict[str, str]) -> dict[str, list[Finding]]:
    """Findings per named text (only the texts with any)."""
    result = {name: find(value) for name, value in texts.items()}
    return {name: items for name, items in result.items() if items}


def highlight(text: str, findings: list[Finding]) -> list[tuple[str, str | None]]:
    """The text cut into (piece, kind or None) for showing the findings marked."""
    pieces: list[tuple[str, str | None]] = []
    position = 0
    for finding in findings:
        if finding.start > position:
            pieces.append((text[position : finding.start], None))
        pieces.append((text[finding.start : finding.end], finding.kind))
        position = finding.end
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces
