"""Forms and fields shared by every domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget

from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import normalise_digits, parse_local_date


class ConfirmForm(FlaskForm):
    """A bare form for POST-only actions (its CSRF token is the point)."""

    submit = SubmitField(_l("Confirm"))


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (easier than a multiple select on a tablet)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LocalIntegerField(IntegerField):
    """A whole number typed with Western, Persian (۱۲۳) or Arabic-Indic (١٢٣) digits."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            valuelist = [normalise_digits(str(valuelist[0])).strip()]
        super().process_formdata(valuelist)


class LocalDateField(StringField):
    """A date in any of the programme's digit sets; a Solar Hijri year (before 1700) is
    converted, so an Afghan officer may type ۱۴۰۵/۰۱/۰۱ and a Kyrgyz one 21.03.2026."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = str(valuelist[0]) if valuelist else ""
        self.data = None
        if not self.raw.strip():
            return
        self.data = parse_local_date(self.raw)
        if self.data is None:
            raise ValueError(
                _l("Not a date: write year-month-day, for example 2026-03-21 or ۱۴۰۵/۰۱/۰۱.")
            )

    def _value(self) -> str:
        if getattr(self, "raw", None):
            return self.raw
        return self.data.isoformat() if self.data else ""


def attach_error(form: FlaskForm, error: DomainError, default_field: str | None = None) -> None:
    """Show a service's error next to its field (or at the top of the form)."""
    field = getattr(form, error.field or default_field or "", None)
    if field is not None and hasattr(field, "errors"):
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(error.message)
    else:
        form.form_errors.append(error.message)


T = TypeVar("T")


#: What a form page answers when the form holds errors (shape or rule): 422, else 200.
def form_status(form: FlaskForm) -> int:
    return 422 if form.errors or form.form_errors else 200


def save_form(
    form: FlaskForm, action: Callable[[], T], *, saved: str, field: str | None = None
) -> tuple[bool, T | None]:
    """Run the service call behind a valid form: commit and flash ``saved`` when it
    succeeds, or roll back and show its error on the form. Returns (succeeded, result)."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error, field)
        return False, None
    db.session.commit()
    flash(saved, "success")
    return True, result
