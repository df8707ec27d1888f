"""Forms of the cohort pages (shape only: the rules are in lms.enrolments.cohorts)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from lms.enrolments.models import CohortMode
from lms.forms import CheckboxesField, LocalDateField

MODE_LABELS = {
    CohortMode.ONLINE: _l("Online"),
    CohortMode.FACE_TO_FACE: _l("Face-to-face"),
    CohortMode.BLENDED: _l("Blended"),
}
#: The most people one request may enrol (a big regional event is a few hundred).
MAX_USERNAMES = 1000


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CohortForm(FlaskForm):
    course = SelectField(_l("Course"), validators=[DataRequired()])
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("For example: Investigators' course, Osh, March 2026."),
    )
    mode = SelectField(
        _l("Mode"),
        choices=[SelectChoice(m.value, label) for m, label in MODE_LABELS.items()],
        default=CohortMode.FACE_TO_FACE.value,
    )
    country = SelectField(_l("Country of the event"), validators=[DataRequired()])
    location = StringField(
        _l("Place"), validators=[Optional(), Length(max=200)], description=_l("City and venue.")
    )
    starts_on = LocalDateField(_l("First day"), validators=[DataRequired()])
    ends_on = LocalDateField(_l("Last day"), validators=[DataRequired()])
    weekdays = CheckboxesField(
        _l("Class days of the week"),
        coerce=int,
        description=_l("Attendance is taken on these days (face-to-face and blended)."),
    )
    regional = BooleanField(
        _l("Regional event: officers of other countries may take part"),
    )
    trainers = CheckboxesField(_l("Trainers"), coerce=int)
    submit = SubmitField(_l("Save"))

    def validate_weekdays(self, field: CheckboxesField) -> None:
        if self.mode.data != CohortMode.ONLINE.value and not field.data:
            raise ValidationError(_l("Choose at least one class day."))


class EnrolPeopleForm(FlaskForm):
    usernames = TextAreaField(
        _l("Usernames"),
        validators=[Optional()],
        description=_l("One per line, or separated by commas or spaces."),
        render_kw={"rows": 6, "autocomplete": "off", "spellcheck": "false", "dir": "ltr"},
    )
    unit = SelectField(_l("Or everyone in a unit"), coerce=_int, validate_choice=False)
    submit = SubmitField(_l("Enrol these people"))

    def validate_usernames(self, field: TextAreaField) -> None:
        if len(self.username_list()) > MAX_USERNAMES:
            raise ValidationError(
                _l("At most %(n)d people at a time.", n=MAX_USERNAMES)  # type: ignore[arg-type]
            )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.username_list() and not self.unit.data:
            self.usernames.errors = [_l("Write at least one username, or choose a unit.")]
            return False
        return True

    def username_list(self) -> list[tuple[int, str]]:
        """(line number, username) for each name written, in order."""
        found: list[tuple[int, str]] = []
        for number, line in enumerate((self.usernames.data or "").splitlines(), 1):
            for name in line.replace(",", " ").replace(";", " ").split():
                found.append((number, name.strip()))
        return found
