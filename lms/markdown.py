"""Turning authored text into safe HTML, once, when it is saved (never per request).

Markdown is rendered, then everything goes through an allow-list (nh3): no scripts, no
event handlers, no javascript: links, no inline styles; links open safely.
"""

from __future__ import annotations

import html
import re

import markdown as md
import nh3

#: Styled blocks of lesson text: ``::: case Title`` … ``:::`` (see docs/content-format.md).
BLOCK_KINDS = {
    "case": "Case scenario",
    "key-points": "Key points",
    "legal": "Legal reference",
    "check": "Check your understanding",
    "safety": "Victims' safety",
}
_BLOCK_OPEN = re.compile(r"^:::\s*([a-z-]+)\s*(.*?)\s*$")
_BLOCK_CLOSE = re.compile(r"^:::\s*$")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "sup": {"id"},
    "li": {"id"},
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


def render_markdown(text: str) -> str:
    """Markdown (with styled blocks and footnotes) → sanitised HTML.

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
            title = title.strip().strip('"')
            lines += ["", f'<div class="block block--{kind}" markdown="1">', ""]
            if title:
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
