"""Pages of the accounts domain: signing in, people, organisations, the audit trail."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="../templates")

from lms.accounts.views import (  # noqa: E402, F401
    auth,
    organisations,
    people,
)
