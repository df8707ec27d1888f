"""Forms shared by every domain."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class ConfirmForm(FlaskForm):
    """A bare form for POST-only actions (its CSRF token is the point)."""

    submit = SubmitField(_l("Confirm"))
