"""Every script of the seven countries renders on a certificate: each character of the
demo people's names (Cyrillic with Kazakh, Kyrgyz and Tajik letters, Uzbek Latin, Dari,
Pashto, Urdu, Arabic) and of each template's words is in the embedded fonts; Urdu names
are in the Nastaliq font itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fontTools.ttLib import TTFont

from lms.accounts.demo import DEMO_PEOPLE, LEARNERS
from lms.assessments.demo import OFFICERS
from lms.config import REPO_ROOT

FONTS = REPO_ROOT / "certificates" / "fonts"
IGNORED = {" ", "\u200c", "\u200d", "\u2019", "\u02bc"}


def _cmap(name: str) -> set[int]:
    return set(TTFont(FONTS / name).getBestCmap())


SANS = _cmap("NotoSans-Regular.ttf") | _cmap("NotoSans-Bold.ttf")
NASKH = _cmap("NotoNaskhArabic-Regular.ttf") & _cmap("NotoNaskhArabic-Bold.ttf")
NASTALIQ = _cmap("NotoNastaliqUrdu-Regular.ttf")


def _missing(text: str, fonts: set[int]) -> set[str]:
    return {c for c in text if c not in IGNORED and ord(c) not in fonts}


NAMES = (
    [
        (code, name)
        for code, people in LEARNERS.items()
        for person in people
        for name in person[:2]
        if name
    ]
    + [("TJ", n) for person in OFFICERS for n in person[:2] if n]
    + [("KG", n) for _u, n, latin, _s in DEMO_PEOPLE.values() for n in (n, latin) if n]
)


@pytest.mark.parametrize(("country", "name"), NAMES)
def test_every_name_has_its_glyphs(country, name):
    assert _missing(name, SANS | NASKH) == set(), name
    if country == "PK" and any("\u0600" <= c <= "\u06ff" for c in name):
        assert _missing(name, NASTALIQ) == set(), name


def test_every_scripts_letters_are_covered():
    letters = {
        "Kazakh": "ӘәҒғҚқҢңӨөҰұҮүҺһІі",
        "Kyrgyz": "ҢңӨөҮү",
        "Tajik": "ҒғӢӣҚқӮӯҲҳҶҷ",
        "Uzbek Latin": "OʻoʻGʻgʻ",
        "Dari": "پچژگکی",
        "Pashto": "ټډړږښګڼۍې",
        "Urdu": "ٹڈڑںھہۂۓے",
        "Arabic": "ةىيكإأآء",
    }
    for script, text in letters.items():
        assert _missing(text, SANS | NASKH) == set(), script
    assert _missing(letters["Urdu"], NASTALIQ) == set()


@pytest.mark.parametrize("meta", sorted((REPO_ROOT / "certificates").glob("*/meta.yaml")))
def test_every_templates_words_have_their_glyphs(meta: Path):
    data = yaml.safe_load(meta.read_text(encoding="utf-8"))
    texts = [data["issuer"], *data["words"].values(), *data.get("institutions", {}).values()]
    texts += [v for person in data.get("signatories", []) for v in person.values()]
    for text in texts:
        assert _missing(text, SANS | NASKH) == set(), (meta.parent.name, text)
