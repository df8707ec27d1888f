"""A person's data as JSON: their own (the account page links it), or a person's for the
coordinators over them and administrators. Every export is audited."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lms import audit, clock, permissions
from lms.accounts.models import Role, User
from lms.extensions import db
from lms.permissions import roles_required, signed_in
from lms.privacy import services

bp = Blueprint("privacy", __name__)


def _download(person: User) -> Response:
    data = services.export(person, now=clock.now())
    audit.record("privacy.export", actor=current_user, now=clock.now(), obj=person)
    db.session.commit()
    response = Response(json.dumps(data, ensure_ascii=False, indent=2),
                        mimetype="application/json")  # fmt: skip
    response.headers["Content-Disposition"] = (
        f'attachment; filename="personal-data-{person.id}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/data.json")
@signed_in
def my_data() -> ResponseReturnValue:
    """Everything held about the signed-in person."""
    return _download(current_user)


@bp.route("/people/<int:user_id>/data.json")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def person_data(user_id: int) -> ResponseReturnValue:
    """A person's data, for the staff who answer their request (404 outside their scope)."""
    person = db.session.get(User, user_id)
    if person is None or not permissions.can_view_user(current_user, person):
        abort(404)
    return _download(person)
