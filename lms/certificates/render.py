"""Certificate PDFs from template folders (no Flask, no DB: facts in, bytes out).

A template folder in ``certificates/`` holds ``meta.yaml`` (its language, direction, the
words printed, the issuer, the signatories and the national institutions by country),
``template.html`` (Jinja, autoescaped) and ``style.css``, or names in ``extends`` another
folder whose layout it reuses with its own words; the fonts are the vendored OFL Noto
fonts in ``certificates/fonts/``, loaded with ``@font-face``, so every host renders the
same PDF whatever fonts it has. WeasyPrint may fetch nothing but files inside the
template's folders and the fonts folder: any other URL (a remote image, ``file:///etc``)
is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jinja2
import segno
import yaml
from markupsafe import Markup

FONTS = "fonts"


class TemplateError(Exception):
    """A template folder that cannot be used (missing file, bad meta.yaml)."""


@dataclass(frozen=True)
class Template:
    name: str
    #: Its own folder first, then the folder it extends (where the layout is found).
    folders: tuple[Path, ...]
    language: str
    direction: str
    words: dict[str, str]
    issuer: str
    signatories: list[dict[str, str]]
    institutions: dict[str, str]


@dataclass(frozen=True)
class Facts:
    """What a certificate says."""

    serial: str
    holder_name: str
    holder_name_latin: str | None
    course_title: str
    completed_on: str
    pre_score: str | None
    post_score: str | None
    gain: str | None
    hours: str | None
    issuers: list[str]
    verify_url: str
    valid_until: str | None = None
    place: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_templates(roots: list[Path]) -> dict[str, Template]:
    """Every template folder (one holding ``meta.yaml``) under ``roots``, by folder name;
    a later root overrides an earlier one of the same name."""
    folders: dict[str, Path] = {}
    for root in roots:
        for meta in sorted(root.glob("*/meta.yaml")):
            folders[meta.parent.name] = meta.parent
    return {name: _read(folder, folders) for name, folder in folders.items()}


def _read(folder: Path, folders: Mapping[str, Path]) -> Template:
    try:
        meta = yaml.safe_load((folder / "meta.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise TemplateError(f"{folder / 'meta.yaml'}: {error}") from None
    chain = [folder]
    if meta.get("extends"):
        if meta["extends"] not in folders:
            raise TemplateError(f"{folder / 'meta.yaml'}: no template {meta['extends']!r}")
        chain.append(folders[meta["extends"]])
    for required in ("template.html", "style.css"):
        if not any((f / required).is_file() for f in chain):
            raise TemplateError(f"{folder}: {required} is missing")
    try:
        return Template(
            name=folder.name,
            folders=tuple(chain),
            language=str(meta["language"]),
            direction=str(meta.get("direction", "ltr")),
            words={str(k): str(v) for k, v in (meta.get("words") or {}).items()},
            issuer=str(meta["issuer"]),
            signatories=list(meta.get("signatories") or []),
            institutions={str(k): str(v) for k, v in (meta.get("institutions") or {}).items()},
        )
    except (KeyError, TypeError, ValueError) as error:
        raise TemplateError(f"{folder / 'meta.yaml'}: missing or bad {error}") from None


def _fetcher(template: Template) -> Any:
    """A WeasyPrint URL fetcher that serves files of the template's folders and the shared
    fonts folder only; anything else fails the render (never a silent fallback)."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    allowed = [f.resolve() for f in template.folders]
    allowed.append((template.folders[0].parent / FONTS).resolve())

    class TemplateFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("file://"):
                path = Path(unquote(url.removeprefix("file://").split("?")[0])).resolve()
                if path.is_file() and any(path.is_relative_to(root) for root in allowed):
                    return super().fetch(url, headers)
            raise FatalURLFetchingError(f"a certificate template may not fetch {url[:100]}")

    return TemplateFetcher(allowed_protocols={"file"}, fail_on_errors=True)


def qr_svg(url: str) -> str:
    """The verification URL as an inline SVG QR code (error correction M)."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=4, border=2)


def html(template: Template, facts: Facts) -> str:
    """The certificate as HTML (for the PDF, and for looking at in tests)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(template.folders)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    signatories = template.signatories
    return environment.get_template("template.html").render(
        t=template.words,
        dir=template.direction,
        lang=template.language,
        facts=facts,
        signatories=signatories,
        qr=Markup(qr_svg(facts.verify_url)),  # noqa: S704 (SVG made by segno from the URL)
        stylesheet=_find(template, "style.css").as_uri(),
    )


def _find(template: Template, name: str) -> Path:
    return next(f / name for f in template.folders if (f / name).is_file())


def pdf(template: Template, facts: Facts, attachments: Mapping[str, str] | None = None) -> bytes:
    """The certificate as a PDF (A4 landscape, fonts embedded and subset), with
    ``attachments`` (file name → text) embedded as files, such as the signed credential."""
    from weasyprint import HTML, Attachment
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    document = HTML(
        string=html(template, facts),
        base_url=template.folders[0].as_uri() + "/",
        url_fetcher=_fetcher(template),
    )
    files = [
        Attachment(string=text, name=name, relationship="Supplement")
        for name, text in (attachments or {}).items()
    ]
    return document.write_pdf(font_config=fonts, attachments=files)


def issuers_for(template: Template, country_code: str | None) -> list[str]:
    """UNODC and, where the template names one, the holder's national institution."""
    national = template.institutions.get(country_code or "")
    return [template.issuer, national] if national else [template.issuer]
