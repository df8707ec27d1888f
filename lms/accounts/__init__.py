"""Accounts: people, role grants, signing in and out."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")

from lms.accounts import views  # noqa: E402, F401  (routes register on import)
