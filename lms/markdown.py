"""Turning authored text into safe HTML, once, when it is saved (never per request).

Markdown is rendered, then everything goes through an allow-list (nh3): no scripts, no
event handlers, no javascript: links, no inline styles; links open safely.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

import markdown as md
import nh3
from babel import support


def N_(message: str) -> str:
    """Mark a string for the translation catalogues; it is translated where it is used."""
    return message


#: Styled blocks of lesson text: ``::: case Title`` … ``:::`` (see docs/content-format.md).
#: A block without a title gets its kind's name, in the language of the lesson.
BLOCK_KINDS = {
    "case": N_("Case scenario"),
    "key-points": N_("Key points"),
    "legal": N_("Legal reference"),
    "check": N_("Check your understanding"),
    "safety": N_("Victims' safety"),
}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


@functools.cache
def _catalogue(language: str) -> support.NullTranslations:
    return support.Translations.load(str(TRANSLATIONS_DIR), [language])


def block_title(kind: str, language: str) -> str:
    """The default title of a block of ``kind`` in ``language`` (English when untranslated)."""
    return _catalogue(language).gettext(BLOCK_KINDS[kind])


_BLOCK_OPEN = re.compile(r"^:::\s*([a-z-]+)\s*(.*?)\s*$")
_BLOCK_CLOSE = re.compile(r"^:::\s*$")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "q", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "sup": {"id"},
    "li": {"id"},
    "ol": {"start"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"dir", "lang", "class"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_html(text: str) -> str:
    """Keep only the allowed tags and attributes of ``text`` (HTML)."""
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


class BlockError(ValueError):
    """A styled block is unknown or not closed; ``line`` is 1-based within the text."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def render_markdown(text: str, *, language: str = "en") -> str:
    """Markdown (with styled blocks and footnotes) → sanitised HTML; ``language`` is the
    text's, for the default titles of its blocks.

    :raises BlockError: an unknown block kind, or a block never closed.
    """
    lines: list[str] = []
    opened_at: tuple[int, str] | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        opened = _BLOCK_OPEN.match(line) if opened_at is None else None
        if opened:
            kind, title = opened.groups()
            if kind not in BLOCK_KINDS:
                raise BlockError(number, f"unknown block {kind!r} (use {', '.join(BLOCK_KINDS)})")
            opened_at = (number, kind)
            title = title.strip().strip('"') or block_title(kind, language)
            lines += ["", f'<div class="block block--{kind}" markdown="1">', ""]
            lines += [f'<p class="block__title">{html.escape(title)}</p>', ""]
        elif opened_at is not None and _BLOCK_CLOSE.match(line):
            lines += ["", "</div>", ""]
            opened_at = None
        else:
            lines.append(line)
    if opened_at is not None:
        raise BlockError(opened_at[0], f"the {opened_at[1]!r} block is never closed with :::")
    rendered = md.markdown(
        "\n".join(lines),
        extensions=["tables", "sane_lists", "fenced_code", "footnotes", "md_in_html"],
    )
    return sanitise_html(rendered)


def render_plain(text: str) -> str:
    """Plain text → HTML with its line breaks kept."""
    return "<br>".join(html.escape(line) for line in text.split("\n"))
