"""Signing in and out, two-factor codes, activation codes, passwords and one's sessions.

A signed-in browser holds only a random session token in its (signed) cookie; the session
itself lives in the database (``UserSession``), so signing out, a password change, a
deactivation or an administrator ends it for real, wherever the cookie was copied.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import segno
from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from lms import audit, clock, crypto, mail
from lms.accounts import security, services, tokens
from lms.accounts.forms import (
    ActivateForm,
    ChangePasswordForm,
    CodeForm,
    ConfirmForm,
    ForgotForm,
    LoginForm,
    LogoutForm,
    ResetForm,
    TokenForm,
)
from lms.accounts.models import ApiToken, User
from lms.accounts.views import bp
from lms.accounts.views._helpers import attach_error
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import public, signed_in
from lms.urls import safe_next

#: How long the step between password and second factor may take.
PENDING_LIFETIME = timedelta(minutes=5)
SETUP_PURPOSE = "totp-setup"


def settings() -> security.Settings:
    return security.Settings.from_config(current_app.config)


# --- Loading the signed-in user (registered with Flask-Login in create_app) ----------------


def load_user_from_session(request_: Any) -> User | None:
    """The signed-in user: from the session cookie on pages, from a bearer token on the API.

    Under /api/ cookies are ignored (so cross-site requests carry no authority there).
    """
    if request_.path.startswith("/api/"):
        return _user_from_token(request_)
    token = session.get("sid")
    if not token:
        return None
    now = clock.now()
    record = security.resolve_session(token, settings=settings(), now=now)
    if db.session.dirty:
        db.session.commit()  # a touched or expired session record
    if record is None:
        session.pop("sid", None)
        return None
    session["seen"] = int(record.last_seen_at.timestamp())
    g.user_session = record
    return record.user


def _user_from_token(request_: Any) -> User | None:
    scheme, _, secret = request_.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    token = tokens.resolve_token(secret.strip(), now=clock.now())
    if db.session.dirty:
        db.session.commit()  # the token's last use
    if token is None:
        return None
    g.api_token = token
    return token.user


def session_needs_touch() -> bool:
    """Will this request refresh the session record (so it must open a write transaction)?"""
    if request.path.startswith("/api/"):
        # A token's last use may be recorded: a writer (scripts are few, and brief).
        return request.headers.get("Authorization", "").lower().startswith("bearer ")
    seen = session.get("seen")
    if not session.get("sid") or not isinstance(seen, int):
        return False
    last = datetime.fromtimestamp(seen, UTC)
    return clock.now() - last >= settings().touch_every


# --- Password step ---------------------------------------------------------------------------


def _locked_message() -> str:
    minutes = current_app.config["LOGIN_LOCKOUT_MINUTES"]
    return _(
        "Too many failed attempts. Wait %(n)d minutes and try again, or ask your coordinator.",
        n=minutes,
    )


def _complete_login(user: User, next_url: str | None) -> ResponseReturnValue:
    _open_session(user)
    return redirect(safe_next(next_url) or url_for("main.index"))


def _open_session(user: User) -> None:
    """Open the server-side session with a fresh cookie (the pre-login one is discarded)."""
    now = clock.now()
    session.clear()
    token = security.start_session(
        user,
        settings=settings(),
        now=now,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    db.session.commit()
    session.permanent = True
    session["sid"] = token
    session["seen"] = int(now.timestamp())
    flash(_("You are signed in."), "success")


def _start_second_step(user: User, next_url: str | None, endpoint: str) -> ResponseReturnValue:
    session.clear()
    session["pending"] = {
        "uid": user.id,
        "at": int(clock.now().timestamp()),
        "next": safe_next(next_url),
    }
    return redirect(url_for(endpoint))


def _pending_user() -> tuple[User | None, str | None]:
    pending = session.get("pending")
    if not isinstance(pending, dict):
        return None, None
    started = datetime.fromtimestamp(int(pending.get("at", 0)), UTC)
    if clock.now() - started > PENDING_LIFETIME:
        session.pop("pending", None)
        return None, None
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.is_active:
        return None, None
    return user, pending.get("next")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        now, ip, config = clock.now(), request.remote_addr, settings()
        username = form.username.data
        if security.locked_until(username, ip, now=now):
            form.password.errors.append(_locked_message())
        else:
            user = services.authenticate(username, form.password.data)
            if user is None:
                locked = security.record_failure(username, ip, settings=config, now=now)
                audit.record(
                    "auth.failure", now=now, object_type="username", object_id=username[:40]
                )
                db.session.commit()
                form.password.errors.append(
                    _locked_message() if locked else _("The username or password is not correct.")
                )
            else:
                security.clear_failures(username)
                db.session.commit()  # also keeps a rehashed password
                if security.has_2fa(user):
                    return _start_second_step(user, form.next.data, "accounts.login_code")
                if security.requires_2fa(user, settings=config):
                    return _start_second_step(user, form.next.data, "accounts.setup_2fa")
                return _complete_login(user, form.next.data)
    status = 422 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


# --- Second factor -------------------------------------------------------------------------


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code() -> ResponseReturnValue:
    """The second step: a code from the authenticator app, or a recovery code."""
    user, next_url = _pending_user()
    if user is None or not security.has_2fa(user):
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        now, ip, config = clock.now(), request.remote_addr, settings()
        if security.locked_until(user.username, ip, now=now):
            form.code.errors.append(_locked_message())
        elif security.verify_second_factor(user, form.code.data, settings=config, now=now):
            return _complete_login(user, next_url)
        else:
            locked = security.record_failure(user.username, ip, settings=config, now=now)
            audit.record("auth.2fa_failure", actor=user, obj=user, now=now)
            db.session.commit()
            form.code.errors.append(
                _locked_message() if locked else _("That code is not correct, or was already used.")
            )
    status = 422 if form.errors else 200
    return render_template("accounts/login_code.html", form=form), status


def _qr_svg(uri: str) -> Markup:
    """The provisioning URI as an inline SVG QR code (no external request)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#0b2e59", light="#ffffff")
    return Markup(svg)  # noqa: S704 - generated by segno from our own URI, not user input


def _setup_secret() -> str:
    """The seed being enrolled, kept encrypted in the session until it is confirmed."""
    key = current_app.config.get("ENCRYPTION_KEY") or current_app.config["SECRET_KEY"]
    stored = session.get("totp_setup")
    secret = crypto.decrypt(stored, secret_key=key, purpose=SETUP_PURPOSE) if stored else None
    if secret is None:
        secret = security.new_totp_secret()
        session["totp_setup"] = crypto.encrypt(secret, secret_key=key, purpose=SETUP_PURPOSE)
    return secret


@bp.route("/login/setup-2fa", methods=["GET", "POST"])
@public
def setup_2fa() -> ResponseReturnValue:
    """Enrol an authenticator: required roles do it at their first sign-in."""
    if current_user.is_authenticated:
        user, next_url, signed = current_user, url_for("main.index"), True
    else:
        user, next_url = _pending_user()
        signed = False
        if user is None:
            flash(_("Please sign in again."), "info")
            return redirect(url_for("accounts.login"))
    if security.has_2fa(user):
        return redirect(url_for("accounts.account"))
    secret = _setup_secret()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = security.enable_2fa(
                user, secret, form.code.data, settings=settings(), now=clock.now()
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            session.pop("totp_setup", None)
            if not signed:
                _open_session(user)
            # Shown once, on the next page (so a reload never re-submits the code).
            session["recovery_codes"] = codes
            session["after_codes"] = safe_next(next_url)
            flash(_("Two-factor sign-in is on."), "success")
            return redirect(url_for("accounts.recovery_codes"))
    status = 422 if form.errors else 200
    return render_template(
        "accounts/setup_2fa.html",
        form=form,
        secret=secret,
        qr=_qr_svg(security.provisioning_uri(user, secret)),
        required=security.requires_2fa(user, settings=settings()),
    ), status


@bp.route("/account/recovery-codes")
@signed_in
def recovery_codes() -> ResponseReturnValue:
    """The recovery codes just made, once; afterwards the page sends you on."""
    codes = session.pop("recovery_codes", None)
    next_url = safe_next(session.pop("after_codes", None)) or url_for("main.index")
    if not codes:
        return redirect(url_for("accounts.account"))
    return render_template("accounts/recovery_codes.html", codes=codes, next_url=next_url)


# --- Activation codes (officers without e-mail) and e-mailed resets ------------------------


@bp.route("/activate", methods=["GET", "POST"])
@public
def activate() -> ResponseReturnValue:
    """Choose a password with the code from an activation slip."""
    form = ActivateForm()
    if request.method == "GET" and request.args.get("username"):
        form.username.data = request.args["username"]
    if form.validate_on_submit():
        now, ip, config = clock.now(), request.remote_addr, settings()
        if security.locked_until(form.username.data, ip, now=now):
            form.code.errors.append(_locked_message())
        else:
            try:
                user = security.activate(
                    form.username.data, form.code.data, form.password.data, settings=config, now=now
                )
            except DomainError as error:
                db.session.rollback()
                attach_error(form, error)
            else:
                if user is None:
                    security.record_failure(form.username.data, ip, settings=config, now=now)
                    db.session.commit()
                    form.code.errors.append(
                        _("This code is not valid for this username, or it has expired.")
                    )
                else:
                    db.session.commit()
                    flash(_("Your password is set. Sign in with it now."), "success")
                    return redirect(url_for("accounts.login"))
    status = 422 if form.errors else 200
    return render_template("accounts/activate.html", form=form), status


@bp.route("/login/forgot", methods=["GET", "POST"])
@public
def forgot_password() -> ResponseReturnValue:
    """Send a reset link to the account's e-mail address, if it has one."""
    form = ForgotForm()
    if form.validate_on_submit():
        user = services.get_user_by_username(form.username.data)
        if (
            user is not None
            and user.email
            and user.is_active
            and security.may_send_reset(user, now=clock.now())
        ):
            token = security.issue_reset_token(user, settings=settings(), now=clock.now())
            db.session.commit()
            link = current_app.config["SITE_URL"].rstrip("/") + url_for(
                "accounts.reset_password", token=token
            )
            mail.send(
                current_app.config,
                to=user.email,
                subject=_("PROTECT LMS: choose a new password"),
                body=_(
                    "To choose a new password, open this link within an hour:\n\n%(link)s\n\n"
                    "If you did not ask for this, ignore this message.",
                    link=link,
                ),
            )
        # The same answer whether or not the account exists or has an address.
        flash(
            _(
                "If this account has an e-mail address, a link to choose a new password is on "
                "its way. Officers without e-mail: ask your coordinator for an activation slip."
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    now = clock.now()
    user = security.user_for_reset_token(token, now=now)
    if user is None:
        flash(_("This link is not valid or has expired. Ask for a new one."), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetForm()
    if form.validate_on_submit():
        try:
            security.set_password(user, form.password.data, settings=settings(), now=now)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            security.end_sessions(user, reason="password_change", now=now)
            audit.record("auth.reset", actor=user, obj=user, now=now)
            db.session.commit()
            flash(_("Your password is set. Sign in with it now."), "success")
            return redirect(url_for("accounts.login"))
    status = 422 if form.errors else 200
    return render_template("accounts/reset.html", form=form), status


# --- Signed in: sign out, password, sessions -----------------------------------------------


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> ResponseReturnValue:
    form = LogoutForm()
    if form.validate_on_submit():
        record = g.get("user_session")
        if record is not None:
            security.end_session(record, reason="logout", now=clock.now())
            audit.record("auth.logout", actor=current_user, obj=current_user, now=clock.now())
            db.session.commit()
        session.clear()
        flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET"])
@signed_in
def account() -> ResponseReturnValue:
    """One's own security: password, two-factor sign-in, open sessions and API tokens."""
    now = clock.now()
    return render_template(
        "accounts/account.html",
        api_tokens=tokens.tokens_of(current_user),
        new_token=session.pop("new_token", None),
        token_form=TokenForm(),
        sessions=security.live_sessions(current_user, now=now),
        current_session=g.get("user_session"),
        has_2fa=security.has_2fa(current_user),
        requires_2fa=security.requires_2fa(current_user, settings=settings()),
        codes_left=security.recovery_codes_left(current_user),
        confirm_form=ConfirmForm(),
    )


@bp.route("/account/certificate-scores", methods=["POST"])
@signed_in
def certificate_scores() -> ResponseReturnValue:
    """Agree (or no longer agree) to show one's scores in the signed credentials of the
    certificates issued from now on."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    share = request.form.get("share") == "1"
    if current_user.share_scores != share:
        current_user.share_scores = share
        audit.record(
            "user.share_scores",
            actor=current_user,
            object_type="user",
            object_id=current_user.id,
            now=clock.now(),
            share=share,
        )
        db.session.commit()
    flash(
        _("Your next certificates will show your scores in their signed credential.")
        if share
        else _("Your next certificates will not show your scores in their signed credential."),
        "success",
    )
    return redirect(url_for("accounts.account"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            security.change_password(
                current_user,
                form.current_password.data,
                form.password.data,
                settings=settings(),
                now=clock.now(),
                keep=g.get("user_session"),
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Your password was changed. Your other sessions were signed out."), "success")
            return redirect(url_for("accounts.account"))
    status = 422 if form.errors else 200
    return render_template("accounts/password.html", form=form), status


@bp.route("/account/tokens", methods=["POST"])
@signed_in
def create_token() -> ResponseReturnValue:
    form = TokenForm()
    if form.validate_on_submit():
        now = clock.now()
        until = form.expires_on.data
        try:
            _token, secret = tokens.create_token(
                current_user,
                name=form.name.data,
                now=now,
                # Valid through the whole of the chosen day (UTC).
                expires_at=datetime.combine(until, time.max, UTC) if until else None,
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            session["new_token"] = secret  # shown once, on the next page
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("accounts.account") + "#tokens")


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke_token(token_id: int) -> ResponseReturnValue:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            tokens.revoke_token(token, actor=current_user, now=clock.now())
        except DomainError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The token was revoked."), "success")
    return redirect(url_for("accounts.account") + "#tokens")


@bp.route("/account/sessions/end-others", methods=["POST"])
@signed_in
def end_other_sessions() -> ResponseReturnValue:
    if ConfirmForm().validate_on_submit():
        ended = security.end_sessions(
            current_user, reason="user", now=clock.now(), keep=g.get("user_session")
        )
        audit.record("auth.sessions_end", actor=current_user, obj=current_user, ended=ended)
        db.session.commit()
        flash(_("Your other sessions were signed out."), "success")
    return redirect(url_for("accounts.account"))
