"""Pages of the accounts domain: signing in, people, organisations, imports, the audit trail."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="../templates")

# Routes register on import.
from lms.accounts.views import auth, importing, organisations, people  # noqa: E402, F401
