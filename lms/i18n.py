"""Languages, digits and calendars of the programme's countries.

The interface offers the languages whose catalogue is complete enough (measured from the
catalogues at start-up); Afghan locales show dates in the Solar Hijri calendar; forms
accept Persian and Arabic-Indic digits as well as Western ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jdatetime
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.messages.pofile import read_po

#: The interface languages, in the order the switcher lists them, with their own names.
LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Русский",
    "uz": "Oʻzbekcha",
    "kk": "Қазақша",
    "ky": "Кыргызча",
    "tg": "Тоҷикӣ",
    "fa_AF": "دری",
    "ps": "پښتو",
    "ur": "اردو",
    "ar": "العربية",
}

#: Persian (U+06F0…) and Arabic-Indic (U+0660…) digits → Western digits.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_DATE = re.compile(r"^\s*(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})\s*$")
#: Solar Hijri month names as used in Afghanistan (the zodiac names, not Iran's).
AFGHAN_MONTHS = {
    "fa": [
        "حمل",
        "ثور",
        "جوزا",
        "سرطان",
        "اسد",
        "سنبله",
        "میزان",
        "عقرب",
        "قوس",
        "جدی",
        "دلو",
        "حوت",
    ],
    "ps": [
        "وری",
        "غویی",
        "غبرګولی",
        "چنګاښ",
        "زمری",
        "وږی",
        "تله",
        "لړم",
        "لیندۍ",
        "مرغومی",
        "سلواغه",
        "کب",
    ],
}
#: Years before this are Solar Hijri (1404 SH is 2025/26 CE).
_FIRST_GREGORIAN_YEAR = 1700


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    #: Share of the interface's messages translated (English: 1.0).
    completeness: float
    rtl: bool


def normalise_digits(text: str) -> str:
    """Western digits for Persian and Arabic-Indic ones (other characters unchanged)."""
    return text.translate(_DIGITS)


def measure_catalogues(directory: Path) -> list[Language]:
    """Every interface language with the completeness of its catalogue."""
    languages = []
    for code, name in LANGUAGE_NAMES.items():
        if code == "en":
            completeness = 1.0
        else:
            po = directory / code / "LC_MESSAGES" / "messages.po"
            if not po.exists():
                continue
            stat = po.stat()
            completeness = _completeness(str(po), stat.st_mtime_ns, stat.st_size)
        rtl = Locale.parse(code).text_direction == "rtl"
        languages.append(Language(code, name, completeness, rtl))
    return languages


@cache
def _completeness(path: str, _mtime_ns: int, _size: int) -> float:
    """Share of a catalogue's messages translated; cached per version of the file, since
    parsing all the catalogues takes about 0.1 s and every app instance asks."""
    with open(path, "rb") as handle:
        catalog = read_po(handle)
    messages = [m for m in catalog if m.id]
    done = [
        m
        for m in messages
        if not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else bool(m.string))
    ]
    return len(done) / len(messages) if messages else 0.0


def uses_solar_hijri(locale: Locale | str | None) -> bool:
    """Afghan locales (Dari, Pashto) date by the Solar Hijri calendar."""
    if locale is None:
        return False
    parsed = Locale.parse(locale) if isinstance(locale, str) else locale
    return parsed.territory == "AF" or (parsed.language == "ps" and not parsed.territory)


def format_local_date(
    value: date | datetime | None, locale: Locale | str, style: str = "medium"
) -> str:
    """A date for people: Solar Hijri in Afghan locales, the locale's own format elsewhere
    (``style``: Babel's "medium" or "long")."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    parsed = Locale.parse(locale) if isinstance(locale, str) else locale
    if uses_solar_hijri(parsed):
        shamsi = jdatetime.date.fromgregorian(date=day)
        month = AFGHAN_MONTHS.get(parsed.language, AFGHAN_MONTHS["fa"])[shamsi.month - 1]
        text = f"{shamsi.day} {month} {shamsi.year}"
        # Dari and Pashto readers expect Persian digits.
        return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    return babel_format_date(day, format=style, locale=parsed)


def parse_local_date(text: str) -> date | None:
    """A date typed in any of the programme's digit sets and calendars, or None.

    Accepts year-month-day (``-``, ``/`` or ``.``) or day.month.year; a year before 1700
    is Solar Hijri (what an Afghan officer types) and is converted.
    """
    match = _DATE.match(normalise_digits(text or ""))
    if not match:
        return None
    first, middle, last = (int(part) for part in match.groups())
    year, month, day = (first, middle, last) if len(match.group(1)) >= 3 else (last, middle, first)
    try:
        if year < _FIRST_GREGORIAN_YEAR:
            return jdatetime.date(year, month, day).togregorian()
        return date(year, month, day)
    except ValueError:
        return None


def pick_text(texts: dict[str, Any], languages: list[str], locale: Locale | str | None) -> Any:
    """Content texts in the reader's language when there are some, else in the original
    (the first of ``languages``)."""
    code = str(locale or "en")
    for candidate in (code, code.split("_")[0]):
        if candidate in texts:
            return texts[candidate]
    return texts[languages[0]]
