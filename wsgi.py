"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi …``."""

from lms import create_app
from lms.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    # A missing or unsafe setting: one line saying which, not a traceback.
    raise SystemExit(f"PROTECT LMS: {error}") from None
