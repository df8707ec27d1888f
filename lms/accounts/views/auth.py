"""Sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from lms.accounts import services
from lms.accounts.forms import LoginForm, LogoutForm
from lms.accounts.views import bp
from lms.extensions import db
from lms.permissions import public, signed_in


def safe_next(target: str | None) -> str | None:
    """Accept only a local path as a redirect target (no scheme, host or ``//``)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The username or password is not correct."))
        else:
            db.session.commit()  # keeps a rehashed password
            login_user(user)
            flash(_("You are signed in."), "success")
            return redirect(safe_next(form.next.data) or url_for("main.index"))
    status = 422 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))
