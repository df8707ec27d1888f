"""Forms of the mentoring pages (shape only: the rules are in lms.mentoring.services)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from lms.accounts.models import AGENCY_TYPE_LABELS, SEX_LABELS
from lms.forms import CheckboxesField, LocalDateField, LocalIntegerField
from lms.mentoring.models import RESULT_LABELS, ActionStatus, SessionFormat

FORMAT_LABELS = {
    SessionFormat.ON_THE_JOB: _l("On-the-job coaching"),
    SessionFormat.CASE_REVIEW: _l("Case review"),
    SessionFormat.WORKSHOP: _l("Workshop"),
    SessionFormat.REMOTE: _l("Remote"),
    SessionFormat.OTHER: _l("Other"),
}
ACTION_STATUS_LABELS = {
    # "Open" is also a verb on other pages: this one is a state.
    ActionStatus.OPEN: lazy_pgettext("action status", "Open"),
    ActionStatus.DONE: _l("Done"),
    ActionStatus.DROPPED: _l("Dropped"),
}
#: What the personal-data guard calls each kind of finding.
KIND_LABELS = {
    "phone": _l("a telephone number"),
    "email": _l("an e-mail address"),
    "national_id": _l("an identity card number"),
    "passport": _l("a passport or document number"),
    "mrz": _l("a line of a passport's machine-readable zone"),
    "birth_date": _l("a date of birth"),
    "victim_name": _l("a name next to the word victim"),
    "number": _l("a long number that may identify someone"),
}
#: New action rows offered on the form (more can be added after saving).
BLANK_ACTIONS = 3
OTHER_ROWS = 2
TEXT_MAX = 10_000


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class OtherRow(Form):
    """A count of people present who are not members of the unit."""

    count = LocalIntegerField(_l("Number"), validators=[Optional()])
    sex = SelectField(_l("Sex"), choices=[], validate_choice=False)
    agency_type = SelectField(_l("Agency"), choices=[], validate_choice=False)


class ActionRow(Form):
    id = HiddenField()
    text = TextAreaField(_l("What is to be done"), validators=[Length(max=1000)])
    owner_id = SelectField(_l("Owner"), coerce=_int_or_none, choices=[], validate_choice=False)
    due_on = LocalDateField(_l("Due by"))


class SessionForm(FlaskForm):
    held_on = LocalDateField(_l("Date"))
    duration_minutes = LocalIntegerField(_l("Duration (minutes)"), validators=[Optional()])
    format = SelectField(_l("Format"), choices=[])
    location = StringField(
        _l("Location"),
        validators=[Length(max=200)],
        description=_l("The place, such as the unit's office; never a victim's address."),
    )
    mentor_ids = CheckboxesField(_l("Mentors"), coerce=int, choices=[])
    attendee_ids = CheckboxesField(_l("Members who attended"), coerce=int, choices=[])
    others = FieldList(FormField(OtherRow), min_entries=OTHER_ROWS, max_entries=10)
    topics = CheckboxesField(_l("Topics"), choices=[])
    case_refs = StringField(
        _l("Case references"),
        validators=[Length(max=300)],
        description=_l("The unit's pseudonymous case codes, separated by commas (e.g. "
                       "KG-2026-014); never names."),
    )  # fmt: skip
    objectives = TextAreaField(_l("Objectives of the session"), validators=[Length(max=TEXT_MAX)])
    observations = TextAreaField(
        _l("Observations"),
        validators=[Length(max=TEXT_MAX)],
        description=_l("How the unit works and what it did well or needs to improve. "
                       "Markdown allowed."),
    )  # fmt: skip
    challenges = TextAreaField(_l("Challenges raised"), validators=[Length(max=TEXT_MAX)])
    actions = FieldList(FormField(ActionRow), min_entries=BLANK_ACTIONS, max_entries=40)
    pii_override = TextAreaField(
        _l("Why this must stay"),
        validators=[Length(max=500)],
        description=_l("Only if what is marked is not personal data of a victim or a witness "
                       "(for example an article number). Recorded in the audit trail."),
    )  # fmt: skip
    attest = BooleanField(_l("This record identifies no victim or witness."))
    save_draft = SubmitField(_l("Save draft"))
    submit = SubmitField(_l("Submit session"))

    def case_ref_list(self) -> list[str]:
        raw = self.case_refs.data or ""
        return [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]


class ActionUpdateForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(s.value, label) for s, label in ACTION_STATUS_LABELS.items()],
    )
    note = TextAreaField(_l("Follow-up note"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Record follow-up"))


class AssignmentForm(FlaskForm):
    mentor_id = SelectField(_l("Mentor"), coerce=_int_or_none, choices=[],
                            validators=[DataRequired()])  # fmt: skip
    starts_on = LocalDateField(_l("From"), validators=[DataRequired()])
    ends_on = LocalDateField(_l("Until"), description=_l("Leave empty: until further notice."))
    submit = SubmitField(_l("Assign"))


def sex_choices() -> list[SelectChoice]:
    return [SelectChoice(s.value, label) for s, label in SEX_LABELS.items()]


def agency_choices() -> list[SelectChoice]:
    return [SelectChoice(a.value, label) for a, label in AGENCY_TYPE_LABELS.items()]


class AssessmentForm(FlaskForm):
    """A scorecard: the date and notes here; a level per competency as ``level-<key>``."""

    assessed_on = LocalDateField(_l("Date of the assessment"), validators=[DataRequired()])
    notes = TextAreaField(
        _l("Notes"),
        validators=[Length(max=2000)],
        description=_l("What the levels rest on (files reviewed, practice observed)."),
    )
    submit = SubmitField(_l("Save the scorecard"))


class ResultForm(FlaskForm):
    year = LocalIntegerField(_l("Year"), validators=[DataRequired()])
    quarter = SelectField(
        _l("Quarter"),
        coerce=int,
        choices=[SelectChoice(n, label) for n, label in
                 ((1, _l("January–March")), (2, _l("April–June")), (3, _l("July–September")),
                  (4, _l("October–December")))],
    )  # fmt: skip
    investigations_opened = LocalIntegerField(
        RESULT_LABELS["investigations_opened"], validators=[Optional()]
    )
    financial_investigations = LocalIntegerField(
        RESULT_LABELS["financial_investigations"], validators=[Optional()]
    )
    prosecutions = LocalIntegerField(RESULT_LABELS["prosecutions"], validators=[Optional()])
    victims_identified = LocalIntegerField(
        RESULT_LABELS["victims_identified"], validators=[Optional()]
    )
    victims_referred = LocalIntegerField(RESULT_LABELS["victims_referred"], validators=[Optional()])
    submit = SubmitField(_l("Save the totals"))


class MonthForm(FlaskForm):
    class Meta:
        csrf = False

    month = StringField(_l("Month"))
    mentor = SelectField(_l("Mentor"), coerce=_int_or_none, choices=[], validate_choice=False)
