"""Printable activation slips as a standalone HTML page (a file opened from disk, from a
ZIP or from the command line): one code per person, shown once, only its hash kept."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import force_locale

from lms.accounts import security
from lms.accounts.models import User
from lms.extensions import db


def issue_codes(
    user_ids: Iterable[int], *, actor: User | None, now: datetime
) -> list[tuple[User, str]]:
    """A fresh activation code for each of these people who still cannot sign in (active,
    no password); any earlier code of theirs stops working. The caller commits."""
    settings = security.Settings.from_config(current_app.config)
    people = db.session.scalars(
        sa.select(User)
        .where(User.id.in_(list(user_ids)), User.password_hash.is_(None), User.is_active)
        .order_by(User.full_name_latin, User.full_name, User.id)
    ).all()
    return [
        (person, security.issue_activation_code(person, settings=settings, actor=actor, now=now))
        for person in people
    ]


def standalone_page(slips: list[tuple[User, str]], *, now: datetime, locale: str | None) -> str:
    """The slips as one HTML file carrying its own stylesheet, in ``locale``, with the
    activation address of the configured site."""
    site = current_app.config["SITE_URL"].rstrip("/")
    lifetime = security.Settings.from_config(current_app.config).activation_lifetime
    css = Path(current_app.static_folder or "", "lms.css").read_text(encoding="utf-8")
    with current_app.test_request_context(base_url=site), force_locale(locale or "en"):
        return render_template(
            "accounts/slips.html",
            slips=slips,
            expires=now + lifetime,
            activate_url=site + url_for("accounts.activate"),
            inline_css=css,
        )
