"""A readable reference page of the API, rendered on the server from the OpenAPI document
(no JavaScript, no CDN)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from lms.permissions import public

bp = Blueprint("api_docs", __name__, template_folder="templates")


@bp.route("/api/v1/docs")
@public
def reference() -> ResponseReturnValue:
    from lms.api import api

    spec = api.spec.to_dict()
    return render_template("api/reference.html", spec=spec)
