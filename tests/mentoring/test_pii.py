"""The personal-data guard (pure): the probed samples of the security checklist (T45) are
found with their positions, ordinary mentoring prose is not."""

from __future__ import annotations

import pytest

from lms.mentoring import pii

FOUND = [
    ("Call +92 300 1234567 tomorrow", "phone", "+92 300 1234567"),
    ("Номер ۰۷۰۱۲۳۴۵۶۷ у свидетеля", "phone", "۰۷۰۱۲۳۴۵۶۷"),
    ("تلفن ٠٧٠١٢٣٤٥٦٧ است", "phone", "٠٧٠١٢٣٤٥٦٧"),
    ("тел. +996 555 123 456", "phone", "+996 555 123 456"),
    ("CNIC 35202-1234567-1 seen", "national_id", "35202-1234567-1"),
    ("passport AB1234567 seized", "passport", "AB1234567"),
    ("P<AFGRAHIMI<<AHMAD<<<<<<<<<<<<<<<<<<<<<<<<<<", "mrz",
     "P<AFGRAHIMI<<AHMAD<<<<<<<<<<<<<<<<<<<<<<<<<<"),
    ("DOB 01.02.1990", "birth_date", "01.02.1990"),
    ("д.р. 12.05.1987", "birth_date", "12.05.1987"),
    ("تاریخ تولد ۱۳۶۵/۰۲/۱۰", "birth_date", "۱۳۶۵/۰۲/۱۰"),
    ("write to x.y@example.org now", "email", "x.y@example.org"),
    ("the victim Anna Petrova said", "victim_name", "Anna Petrova"),
    ("жертва Айгуль пояснила", "victim_name", "Айгуль"),
    ("account 40817810099910004312", "number", "40817810099910004312"),
]  # fmt: skip

CLEAN = [
    "The unit opened 12 investigations in 2025 and referred 4 victims.",
    "Article 3 of the Protocol (2000); module 2.3 on indicators.",
    "Case KG-2026-014 reviewed with 6 investigators on 12.03.2026 for 90 minutes.",
    "Meeting at 10:30 in room 214; victims were referred to the shelter.",
    "Следователи обсудили статью 171 УК и 3 дела; жертвы направлены в кризисный центр.",
]


@pytest.mark.parametrize(("text", "kind", "excerpt"), FOUND)
def test_personal_data_is_found_where_it_is(text, kind, excerpt):
    found = pii.find(text)
    assert [(f.kind, f.excerpt(text)) for f in found] == [(kind, excerpt)]


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_mentoring_prose_passes(text):
    assert pii.find(text) == []


def test_highlight_cuts_the_text_around_the_findings():
    text = "Call +92 300 1234567 or mail a@b.org."
    pieces = pii.highlight(text, pii.find(text))
    assert "".join(piece for piece, _kind in pieces) == text
    assert [kind for _piece, kind in pieces if kind] == ["phone", "email"]


def test_persian_digits_keep_their_positions():
    assert pii.ascii_digits("۱۲٣a") == "123a"
