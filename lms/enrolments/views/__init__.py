"""Pages of the enrolments domain: the learner's path, and cohorts with their attendance."""

from flask import Blueprint

bp = Blueprint("learning", __name__, template_folder="../templates", url_prefix="/courses")
cohorts_bp = Blueprint("cohorts", __name__, template_folder="../templates", url_prefix="/cohorts")

# Routes register on import.
from lms.enrolments.views import cohorts, learning  # noqa: E402, F401
