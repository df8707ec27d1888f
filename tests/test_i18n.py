"""Every user-facing string is extracted, and English and Russian are complete."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from lms.config import REPO_ROOT

TRANSLATIONS = REPO_ROOT / "lms" / "translations"
COMPLETE_LANGUAGES = ["ru"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%%")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The catalogue as extracted from the code right now."""
    out = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--omit-header",
            "-o",
            str(out),
            ".",
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    with out.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def _catalog(path):
    with path.open("rb") as f:
        return read_po(f)


def stale(extracted: set, template_path) -> set:
    """Messages the template lacks or no longer needs (empty when it is up to date)."""
    return extracted ^ {m.id for m in _catalog(template_path) if m.id}


def test_template_is_up_to_date(extracted):
    """Run `make translations-update` after changing user-facing strings."""
    assert stale(extracted, TRANSLATIONS / "messages.pot") == set()


def test_the_stale_check_fails_when_it_should(extracted, tmp_path):
    """A template missing a string the code uses (or keeping one it dropped) is caught."""
    from babel.messages.pofile import write_po

    catalog = _catalog(TRANSLATIONS / "messages.pot")
    dropped = "Sign in"
    del catalog[dropped]
    catalog.add("A string no template should keep")
    path = tmp_path / "stale.pot"
    with path.open("wb") as handle:
        write_po(handle, catalog)
    assert stale(extracted, path) == {dropped, "A string no template should keep"}


@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_catalog_is_complete(extracted, language):
    catalog = _catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    messages = {m.id: m for m in catalog if m.id}
    assert extracted <= set(messages), sorted(map(str, extracted - set(messages)))
    for msgid in extracted:
        message = messages[msgid]
        # Plural messages have a tuple of ids and a tuple of translations (one per form).
        sources = msgid if isinstance(msgid, tuple) else (msgid,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {msgid!r}"
        assert not message.fuzzy, f"fuzzy: {msgid!r}"
        expected = sorted(set(PLACEHOLDER.findall(sources[-1])))
        for string in strings:
            assert sorted(set(PLACEHOLDER.findall(string))) == expected, (msgid, string)


ALL_LANGUAGES = ["ru", "uz", "kk", "ky", "tg", "fa_AF", "ps", "ur", "ar"]


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_translations_keep_their_placeholders(language):
    """Every catalogue, complete or not, may be used: a wrong placeholder would break a page."""
    for message in _catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"):
        if not message.id or message.fuzzy:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(set(PLACEHOLDER.findall(sources[-1])))
        for string in filter(None, strings):
            assert sorted(set(PLACEHOLDER.findall(string))) == expected, (message.id, string)


def test_right_to_left_languages_set_the_direction(app_factory):
    app = app_factory(LANGUAGE_THRESHOLD=0.0)
    for header, lang in (("fa-AF", "fa-AF"), ("ar-IQ", "ar"), ("ur", "ur"), ("ps", "ps")):
        response = app.test_client().get("/login", headers={"Accept-Language": header})
        assert f'<html lang="{lang}" dir="rtl">' in response.get_data(as_text=True), header


def test_unsupported_language_falls_back_to_english(client):
    html = client.get("/login", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    assert "Username" in html
