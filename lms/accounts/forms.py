"""Forms of the accounts domain: they check shape; services check rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from lms.accounts.models import AGENCY_TYPE_LABELS, ROLE_LABELS, SEX_LABELS
from lms.forms import ConfirmForm, LocalDateField, LocalIntegerField

__all__ = ["ConfirmForm"]


def _optional_int(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=100)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("The six digits from your authenticator app, or a recovery code."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
    )
    submit = SubmitField(_l("Continue"))


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField(
            _l("New password"),
            validators=[DataRequired(), Length(max=128)],
            description=_l(
                "At least 12 characters. A few unrelated words are easy to remember and hard "
                "to guess."
            ),
            render_kw={"autocomplete": "new-password"},
        ),
        PasswordField(
            _l("New password again"),
            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
            render_kw={"autocomplete": "new-password"},
        ),
    )


class ActivateForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=100)],
        render_kw={"autocomplete": "username"},
    )
    code = StringField(
        _l("Activation code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("As printed on your activation slip, e.g. ABCD-EFGH-JKMN."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Set my password"))


class ForgotForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Send me a link"))


class ResetForm(FlaskForm):
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Set my password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Change password"))


class TokenForm(FlaskForm):
    name = StringField(
        _l("What is it for?"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("For example: monitoring spreadsheet."),
    )
    expires_on = LocalDateField(
        _l("Valid until"),
        description=_l("Leave empty for a token that lasts until you revoke it."),
    )
    submit = SubmitField(_l("Create a token"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


class ProfileForm(FlaskForm):
    """The person's names and details (placement and roles have their own forms)."""

    full_name = StringField(
        _l("Full name (own script)"), validators=[DataRequired(), Length(max=200)]
    )
    full_name_latin = StringField(
        _l("Full name in Latin letters"),
        validators=[Optional(), Length(max=200)],
        description=_l("As in the passport, where there is one."),
    )
    given_name = StringField(_l("Given name"), validators=[Optional(), Length(max=100)])
    family_name = StringField(_l("Family name"), validators=[Optional(), Length(max=100)])
    patronymic = StringField(_l("Patronymic"), validators=[Optional(), Length(max=100)])
    sex = SelectField(
        _l("Sex"),
        choices=[SelectChoice(k.value, v) for k, v in SEX_LABELS.items()],
        default="undisclosed",
    )
    position = StringField(_l("Position or rank"), validators=[Optional(), Length(max=200)])
    email = StringField(
        _l("E-mail"),
        validators=[Optional(), Length(max=254)],
        description=_l("Optional: many officers have none."),
    )
    locale = StringField(
        _l("Preferred language"),
        validators=[Optional(), Length(max=20)],
        description=_l("A language code such as ru, uz, fa-AF; empty follows the browser."),
    )


class NewUserForm(ProfileForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("Latin letters, digits and . _ @ -; used to sign in."),
    )
    country = SelectField(_l("Country"), validators=[DataRequired()])
    agency_id = SelectField(_l("Agency"), coerce=_optional_int, validate_choice=False)
    unit_id = SelectField(_l("Unit"), coerce=_optional_int, validate_choice=False)
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(k.value, v) for k, v in ROLE_LABELS.items()],
        default="learner",
    )
    #: Set when the person creating the account has seen the possible duplicates.
    confirm_not_duplicate = BooleanField(_l("This is a different person"))
    submit = SubmitField(_l("Create account"))


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a CSV file."))],
        description=_l(
            "Moodle's upload-user columns (username, firstname, lastname, email, country, "
            "institution, department …) plus sex, agency, unit, position and role. UTF-8, "
            "separated by commas or semicolons."
        ),
        render_kw={"accept": ".csv,text/csv"},
    )
    update_existing = BooleanField(_l("Update people whose username exists already"))
    submit = SubmitField(_l("Check the file"))


class EditUserForm(ProfileForm):
    submit = SubmitField(_l("Save changes"))


class TransferForm(FlaskForm):
    agency_id = SelectField(_l("Agency"), coerce=_optional_int, validate_choice=False)
    unit_id = SelectField(_l("Unit"), coerce=_optional_int, validate_choice=False)
    position = StringField(_l("Position or rank"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Record the transfer"))


class GrantForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=[SelectChoice(k.value, v) for k, v in ROLE_LABELS.items()]
    )
    country = SelectField(
        _l("Country (coordinators only)"),
        description=_l("Leave empty for a coordinator of every country."),
    )
    submit = SubmitField(_l("Grant role"))


class MergeForm(FlaskForm):
    target_id = LocalIntegerField(
        _l("Keep this person (their number)"),
        validators=[DataRequired()],
        description=_l("Everything recorded for the person on this page moves to them."),
    )
    submit = SubmitField(_l("Merge"))


class AgencyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    name_latin = StringField(
        _l("Name in English or Latin letters"), validators=[Optional(), Length(max=200)]
    )
    type = SelectField(
        _l("Type"), choices=[SelectChoice(k.value, v) for k, v in AGENCY_TYPE_LABELS.items()]
    )
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class UnitForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    name_latin = StringField(
        _l("Name in English or Latin letters"), validators=[Optional(), Length(max=200)]
    )
    is_specialised = BooleanField(_l("Specialised in trafficking and smuggling cases"))
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))
