"""Keys that make the same name match across scripts and spellings (pure).

Officers' names reach us in Cyrillic, Latin and Arabic script, transliterated in several
ways: Mohammad / Muhammad / Muhammed / محمد, Karimov / Karimev / Каримов, O‘g‘iloy /
Ogiloy. :func:`name_key` maps each word to a consonant skeleton in Latin letters: the
script is transliterated, Arabic and Persian letter variants are unified (ي/ی, ك/ک),
digraphs are folded (zh → j, sh → s), the h and kh sounds fold into k (Russian writes
both ح and خ as х, Kazakh alternates қ and х: Мухаммад / محمد, Асқат / Асхат), vowels are
dropped (a word that starts with a vowel keeps a marker) and doubled letters collapse.
Two people whose keys share enough words are *possible* duplicates: a person decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: Cyrillic pairs read as one sound, replaced before the letters.
_CYRILLIC_DIGRAPHS = {"дж": "J", "дз": "Z"}
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m",
    "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ұ": "u", "ү": "u", "ў": "u", "ф": "f", "х": "h", "ҳ": "h", "һ": "h",
    "ц": "s", "ч": "c", "ҷ": "j", "ш": "s", "щ": "s", "ъ": "", "ы": "i", "і": "i",
    "ь": "", "э": "e", "ю": "u", "я": "a", "ӣ": "i", "ӯ": "u", "ә": "a", "ӊ": "n",
}  # fmt: skip

#: Arabic-script letters → Latin consonants; "" marks a letter read as a vowel.
_ARABIC = {
    "ا": "", "أ": "", "إ": "", "آ": "", "ٱ": "", "ء": "", "ؤ": "", "ئ": "", "ع": "",
    "ب": "b", "پ": "p", "ت": "t", "ث": "s", "ج": "j", "چ": "c", "ح": "h", "خ": "h",
    "د": "d", "ذ": "z", "ر": "r", "ز": "z", "ژ": "j", "س": "s", "ش": "s", "ص": "s",
    "ض": "z", "ط": "t", "ظ": "z", "غ": "g", "ف": "f", "ق": "k", "ك": "k", "ک": "k",
    "گ": "g", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ة": "h", "ۀ": "h", "ہ": "h",
    "ھ": "h", "ي": "", "ی": "", "ى": "", "ې": "", "ۍ": "", "ے": "", "و": "", "ۇ": "",
    "ټ": "t", "ډ": "d", "ړ": "r", "ږ": "j", "ښ": "s", "ګ": "g", "ڼ": "n", "ڵ": "l",
    "ڕ": "r", "ٹ": "t", "ڈ": "d", "ڑ": "r", "ں": "n",
}  # fmt: skip

#: Arabic-script letters that are consonants at the start of a word (و in Wali, ي in Yahya).
_ARABIC_INITIAL = {"و": "v", "ۇ": "v"}

_DIGRAPHS = {
    "dzh": "j", "kh": "h", "gh": "g", "zh": "j", "dj": "j", "sh": "s",
    "ch": "c", "ts": "s", "ph": "f", "th": "t", "dh": "z", "off": "ov", "eff": "ev",
}  # fmt: skip
#: One left-to-right pass, longest first, so "askhat" is a-s-kh-a-t, not a-sh-a-t.
_DIGRAPH_RE = re.compile("|".join(sorted(_DIGRAPHS, key=len, reverse=True)))
_LATIN_SINGLE = str.maketrans({"q": "k", "x": "h", "w": "v", "y": "i", "ə": "a"})
_VOWELS = set("aeiouAEIOU")
_APOSTROPHES = re.compile(r"[\u0027\u2018\u2019\u02bb\u02bc\u0060\u00b4]")
#: Arabic vowel signs and the tatweel (a stretching stroke, not a letter).
_TASHKEEL = re.compile(r"[\u0640\u064b-\u065f\u0670\u06d6-\u06ed]")
_WORD_SPLIT = re.compile(r"[\s\-‐–—_.,;/()]+")


def _skeleton_latin(word: str) -> str:
    # Letters that came from Cyrillic or Arabic script are upper case: they are already
    # single sounds and must not be folded as Latin digraphs (Асхат is a-s-h-a-t).
    word = _DIGRAPH_RE.sub(lambda m: _DIGRAPHS[m.group(0)], word)
    word = word.translate(_LATIN_SINGLE).lower()
    marker = "_" if word[:1] in _VOWELS else ""
    consonants = "".join(ch for ch in word if ch.isalpha() and ch not in _VOWELS)
    return marker + consonants


def _transliterate_arabic(word: str) -> str:
    out = []
    for i, ch in enumerate(word):
        if i == 0 and ch in _ARABIC_INITIAL:
            out.append(_ARABIC_INITIAL[ch].upper())
        elif ch in _ARABIC:
            # A vowel letter opening the word keeps the word's initial-vowel marker.
            out.append(_ARABIC[ch].upper() or ("A" if i == 0 else ""))
        else:
            out.append(ch)
    return "".join(out)


def word_key(word: str) -> str:
    """The skeleton of one word ("" for a word with no letters)."""
    word = _TASHKEEL.sub("", _APOSTROPHES.sub("", word.strip().lower()))
    if not word:
        return ""
    for pair, sound in _CYRILLIC_DIGRAPHS.items():
        word = word.replace(pair, sound)
    word = "".join(_CYRILLIC[ch].upper() if ch in _CYRILLIC else ch for ch in word)
    word = _transliterate_arabic(word)
    # Latin letters with diacritics (ş, ç, ğ, ı) fold to their base letters.
    word = "".join(
        ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
    )
    word = word.replace("ı", "i")  # dotless i (Turkish-style Latin spellings)
    skeleton = _skeleton_latin(word)
    # A final h is often a written vowel (Fatemeh / Fatima / فاطمه).
    if len(skeleton) > 2 and skeleton.endswith("h"):
        skeleton = skeleton[:-1]
    skeleton = skeleton.replace("h", "k")
    collapsed = re.sub(r"(.)\1+", r"\1", skeleton)
    return collapsed if collapsed.strip("_") else ""


def name_tokens(*names: str | None) -> frozenset[str]:
    """The set of word keys of all the given names (native and Latin spellings alike)."""
    tokens: set[str] = set()
    for name in names:
        for word in _WORD_SPLIT.split(name or ""):
            key = word_key(word)
            if key:
                tokens.add(key)
    return frozenset(tokens)


def name_key(*names: str | None) -> str:
    """The stored key: sorted word keys, space-separated, with a space at each end."""
    tokens = sorted(name_tokens(*names))
    return f" {' '.join(tokens)} " if tokens else ""


def tokens_of(key: str) -> frozenset[str]:
    return frozenset(key.split())


def is_possible_duplicate(a: Iterable[str], b: Iterable[str]) -> bool:
    """Two names match when they share two words, or all words when one has only one."""
    a, b = frozenset(a), frozenset(b)
    if not a or not b:
        return False
    shared = len(a & b)
    return shared >= 2 or (shared == min(len(a), len(b)) == 1 and len(a) == len(b))
