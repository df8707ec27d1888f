"""Turning authored text into safe HTML, once, when it is saved (never per request).

Markdown is rendered, then everything goes through an allow-list (nh3): no scripts, no
event handlers, no javascript: links, no inline styles; links open safely.
"""

from __future__ import annotations

import html

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
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


def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML."""
    rendered = md.markdown(text, extensions=["tables", "sane_lists", "fenced_code"])
    return sanitise_html(rendered)


def render_plain(text: str) -> str:
    """Plain text → HTML with its line breaks kept."""
    return "<br>".join(html.escape(line) for line in text.split("\n"))
