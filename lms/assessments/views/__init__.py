"""Pages of the assessments domain: question banks, and taking a course's tests."""

from flask import Blueprint

bp = Blueprint("assessments", __name__, template_folder="../templates", url_prefix="/questions")
tests_bp = Blueprint("tests", __name__, template_folder="../templates")

# Routes register on import.
from lms.assessments.views import banks, classroom, tests  # noqa: E402, F401
