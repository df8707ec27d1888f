"""Regional formats: digits of every script, Solar Hijri dates, languages offered."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from lms.accounts.models import ApiToken
from lms.config import REPO_ROOT
from lms.extensions import db
from lms.i18n import format_local_date, measure_catalogues, normalise_digits, parse_local_date
from tests.factories import make_user


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-03-21", date(2026, 3, 21)),
        ("21.03.2026", date(2026, 3, 21)),
        ("۲۰۲۶/۰۳/۲۱", date(2026, 3, 21)),  # Persian digits, Gregorian
        ("٢٠٢٦-٠٣-٢١", date(2026, 3, 21)),  # Arabic-Indic digits
        ("۱۴۰۵/۰۱/۰۱", date(2026, 3, 21)),  # Solar Hijri: 1 Hamal 1405
        ("1404-09-06", date(2025, 11, 27)),
        (" 2026/3/1 ", date(2026, 3, 1)),
    ],
)
def test_dates_in_every_digit_set_and_calendar(typed, expected):
    assert parse_local_date(typed) == expected


@pytest.mark.parametrize("typed", ["", "yesterday", "2026-02-30", "۱۴۰۵/۱۳/۰۱", "32.01.2026"])
def test_not_dates(typed):
    assert parse_local_date(typed) is None


def test_digits():
    assert normalise_digits("۱۲۳-٤٥٦ and 789") == "123-456 and 789"


def test_afghan_locales_show_solar_hijri_dates():
    day = date(2026, 11, 27)
    assert format_local_date(day, "fa_AF") == "۶ قوس ۱۴۰۵"
    assert format_local_date(day, "ps") == "۶ لیندۍ ۱۴۰۵"
    assert format_local_date(datetime(2026, 3, 21, 12, tzinfo=UTC), "fa_AF") == "۱ حمل ۱۴۰۵"
    assert format_local_date(day, "ru") == "27 нояб. 2026\u202fг."
    assert format_local_date(day, "en") == "Nov 27, 2026"


def test_a_persian_digit_date_is_accepted_in_a_form(client, login):
    login(make_user("digits.user"))
    response = client.post("/account/tokens", data={"name": "sheet", "expires_on": "۱۴۰۵/۱۲/۲۹"})
    assert response.status_code == 302
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert token.expires_at.date() == date(2027, 3, 20)


def test_a_wrong_date_is_a_clear_error(client, login):
    login(make_user("digits.user2"))
    response = client.post(
        "/account/tokens", data={"name": "sheet", "expires_on": "someday"}, follow_redirects=True
    )
    assert "Not a date" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_only_languages_complete_enough_are_offered(app, app_factory):
    measured = {lang.code: lang for lang in measure_catalogues(REPO_ROOT / "lms" / "translations")}
    assert measured["en"].completeness == 1.0
    assert measured["ru"].completeness == 1.0
    offered = [lang.code for lang in app.extensions["lms.languages"]]
    assert offered[:2] == ["en", "ru"]
    assert all(measured[code].completeness >= 0.9 for code in offered)
    strict = app_factory(LANGUAGE_THRESHOLD=1.01)
    assert [lang.code for lang in strict.extensions["lms.languages"]] == []


def test_the_switcher_remembers_the_choice(client, login):
    response = client.post("/language", data={"code": "ru", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert "lang=ru" in response.headers["Set-Cookie"]
    assert "Войти" in client.get("/login").get_data(as_text=True)
    user = make_user("switcher.user")
    login(user)
    client.post("/language", data={"code": "en", "next": "https://evil.example/"})
    db.session.refresh(user)
    assert user.locale == "en"
    assert client.post("/language", data={"code": "xx"}).status_code == 400
