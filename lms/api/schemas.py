"""Marshmallow schemas of the API: what goes in (query arguments) and what comes out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lms.accounts.models import AgencyType, Role, Sex
from lms.urls import MAX_ID


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "Stable, machine-readable."})
    message = fields.String(required=True, metadata={"description": "For people, in English."})
    details = fields.Dict(metadata={"description": "Per-field problems, where there are some."})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


#: ISO 3166-1 alpha-2, either case.
COUNTRY = fields.String(
    validate=validate.Regexp(r"^[A-Za-z]{2}$"), metadata={"description": "ISO code, e.g. KG."}
)
#: Text without control characters (a NUL is refused before it reaches a query).
NO_NUL = validate.Regexp(r"^[^\x00]*$")


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class PageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class RefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class UserSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    full_name_latin = fields.String(allow_none=True)
    sex = fields.Enum(Sex, by_value=True, required=True)
    position = fields.String(allow_none=True)
    country = fields.String(allow_none=True, attribute="country_code")
    agency = fields.Nested(RefSchema, allow_none=True)
    unit = fields.Nested(RefSchema, allow_none=True)
    roles = fields.List(fields.Enum(Role, by_value=True), required=True)
    is_active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema), required=True)


class UserArgsSchema(PageArgsSchema):
    country = COUNTRY
    role = fields.Enum(Role, by_value=True)
    q = fields.String(
        validate=[validate.Length(min=1, max=100), NO_NUL],
        metadata={"description": "Part of a name or username; names match across scripts."},
    )
    active = fields.Boolean()


class UnitSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    name_latin = fields.String(allow_none=True)
    is_specialised = fields.Boolean(required=True)
    is_active = fields.Boolean(required=True)


class AgencySchema(Schema):
    id = fields.Integer(required=True)
    country = fields.String(required=True, attribute="country_code")
    name = fields.String(required=True)
    name_latin = fields.String(allow_none=True)
    type = fields.Enum(AgencyType, by_value=True, required=True)
    is_active = fields.Boolean(required=True)
    units = fields.List(fields.Nested(UnitSchema), required=True)


class AgencyPageSchema(PageSchema):
    items = fields.List(fields.Nested(AgencySchema), required=True)


class AgencyArgsSchema(PageArgsSchema):
    country = COUNTRY
    type = fields.Enum(AgencyType, by_value=True)


class CountrySchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "English name (CLDR)."})
    is_beneficiary = fields.Boolean(required=True)


class CountryPageSchema(PageSchema):
    items = fields.List(fields.Nested(CountrySchema), required=True)


class CountryArgsSchema(PageArgsSchema):
    beneficiary = fields.Boolean(metadata={"description": "Only the programme's countries."})


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "The token's first characters."})
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class LessonOutSchema(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    title = fields.String(required=True)
    minutes = fields.Integer(required=True)


class ModuleOutSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    lessons = fields.List(fields.Nested(LessonOutSchema), required=True)


class CourseSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    version = fields.String(required=True)
    estimated_hours = fields.Float(required=True)
    pass_mark = fields.Integer(required=True)
    objectives = fields.List(fields.Dict(), required=True)
    has_pre_test = fields.Boolean(required=True)
    has_post_test = fields.Boolean(required=True)
    lessons = fields.Integer(required=True, metadata={"description": "Number of lessons."})


class CourseDetailSchema(CourseSchema):
    modules = fields.List(fields.Nested(ModuleOutSchema), required=True)


class CoursePageSchema(PageSchema):
    items = fields.List(fields.Nested(CourseSchema), required=True)


class EnrolmentSchema(Schema):
    id = fields.Integer(required=True)
    course = fields.String(required=True, metadata={"description": "The course's slug."})
    status = fields.String(required=True)
    enrolled_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)
    lessons_done = fields.Integer(required=True)
    lessons_total = fields.Integer(required=True)
    gates = fields.Dict(
        required=True,
        metadata={"description": "true met, false not yet, null not part of the course"},
    )


class CohortSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    course = fields.String(required=True, metadata={"description": "The course's slug."})
    country = fields.String(required=True, metadata={"description": "Where it is held."})
    location = fields.String(allow_none=True)
    mode = fields.String(
        required=True, validate=validate.OneOf(["online", "face-to-face", "blended"])
    )
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    class_days = fields.List(
        fields.String(), required=True, metadata={"description": "Days attendance is taken."}
    )
    regional = fields.Boolean(required=True)
    trainers = fields.List(fields.Integer(), required=True, metadata={"description": "User ids."})
    participants = fields.Integer(required=True)


class CohortPageSchema(PageSchema):
    items = fields.List(fields.Nested(CohortSchema), required=True)


class MemberSchema(Schema):
    enrolment_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    username = fields.String(required=True)
    country = fields.String(allow_none=True, metadata={"description": "The officer's own."})
    status = fields.String(required=True)
    enrolled_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)
    lessons_done = fields.Integer(required=True)
    lessons_total = fields.Integer(required=True)
    days_present = fields.Integer(allow_none=True)
    gates = fields.Dict(required=True)


class CohortDetailSchema(CohortSchema):
    members = fields.List(fields.Nested(MemberSchema), required=True)


class EnrolPeopleSchema(Schema):
    usernames = fields.List(
        fields.String(validate=[validate.Length(min=1, max=100), NO_NUL]),
        required=True,
        validate=validate.Length(min=1, max=1000),
    )


class EnrolResultSchema(Schema):
    enrolled = fields.List(fields.String(), required=True)
    joined = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Already taking the course on their own; now in the cohort."},
    )
    already = fields.List(fields.String(), required=True)
    elsewhere = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Taking the course with another cohort: left there."},
    )


class AttemptSummarySchema(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    course = fields.String(required=True)
    test = fields.String(
        required=True, metadata={"description": "pre, post or check:<module folder>"}
    )
    number = fields.Integer(required=True)
    form = fields.String(allow_none=True, metadata={"description": "The bank category used."})
    language = fields.String(required=True)
    source = fields.String(required=True, validate=validate.OneOf(["online", "classroom"]))
    status = fields.String(required=True, validate=validate.OneOf(["open", "marking", "scored"]))
    started_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(allow_none=True)
    score = fields.Float(allow_none=True, metadata={"description": "Per cent, once scored."})
    passed = fields.Boolean(allow_none=True)
    max_points = fields.Integer(required=True)


# --- Reports: knowledge gain and item analysis ---------------------------------------------

_PCT = {"description": "Per cent, 0–100; null when there is nothing to compute it from."}


class SignedRankSchema(Schema):
    n_nonzero = fields.Integer(required=True)
    w_plus = fields.Float(required=True)
    w_minus = fields.Float(required=True)
    z = fields.Float(required=True)
    p_value = fields.Float(required=True)


class GroupGainSchema(Schema):
    """The knowledge gain of a group of learners, on matched pairs only."""

    n = fields.Integer(required=True, metadata={"description": "Matched pairs."})
    mean_pre = fields.Float(allow_none=True, metadata=_PCT)
    mean_post = fields.Float(allow_none=True, metadata=_PCT)
    sd_pre = fields.Float(allow_none=True)
    sd_post = fields.Float(allow_none=True)
    mean_gain = fields.Float(allow_none=True, metadata={"description": "Points."})
    sd_gain = fields.Float(allow_none=True)
    class_average_g = fields.Float(
        allow_none=True,
        metadata={"description": "Hake: (mean post − mean pre) / (100 − mean pre)."},
    )
    hake_band = fields.String(allow_none=True, validate=validate.OneOf(["low", "medium", "high"]))
    mean_individual_g = fields.Float(allow_none=True)
    n_individual_g = fields.Integer(required=True)
    percent_improved = fields.Float(allow_none=True, metadata=_PCT)
    threshold = fields.Float(required=True, metadata={"description": "Points."})
    percent_reached_threshold = fields.Float(allow_none=True, metadata=_PCT)
    pass_mark = fields.Float(allow_none=True)
    percent_passed = fields.Float(allow_none=True, metadata=_PCT)
    t = fields.Float(allow_none=True)
    df = fields.Integer(allow_none=True)
    p_value = fields.Float(allow_none=True, metadata={"description": "Two-sided, paired t-test."})
    confidence = fields.Float(required=True)
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)
    cohens_dz = fields.Float(allow_none=True)
    cohens_dav = fields.Float(allow_none=True)
    wilcoxon = fields.Nested(SignedRankSchema, allow_none=True)
    small_sample = fields.Boolean(required=True, metadata={"description": "Fewer than 10 pairs."})


class GroupRowSchema(Schema):
    dimension = fields.String(
        required=True, validate=validate.OneOf(["all", "sex", "country", "agency"])
    )
    key = fields.String(required=True, metadata={"description": "The value grouped by."})
    participants = fields.Integer(required=True)
    gain = fields.Nested(GroupGainSchema, required=True)


class TagGainSchema(Schema):
    tag = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["module", "objective"]))
    label = fields.String(required=True)
    n = fields.Integer(required=True)
    mean_pre = fields.Float(allow_none=True, metadata=_PCT)
    mean_post = fields.Float(allow_none=True, metadata=_PCT)
    mean_gain = fields.Float(allow_none=True)


class LearnerResultSchema(Schema):
    enrolment_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    name = fields.String(required=True)
    sex = fields.Enum(Sex, by_value=True, required=True)
    country = fields.String(allow_none=True)
    agency_type = fields.Enum(AgencyType, by_value=True, allow_none=True)
    pre = fields.Float(allow_none=True, metadata=_PCT)
    post = fields.Float(allow_none=True, metadata=_PCT)
    gain = fields.Float(allow_none=True)
    normalised_gain = fields.Float(allow_none=True)
    passed = fields.Boolean(required=True)
    completed = fields.Boolean(required=True)


class CohortResultsArgsSchema(Schema):
    threshold = fields.Float(
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Points a gain must reach to count (default 20)."},
    )


class CohortResultsSchema(Schema):
    cohort_id = fields.Integer(required=True)
    threshold = fields.Float(required=True)
    pass_mark = fields.Float(required=True)
    overall = fields.Nested(GroupRowSchema, required=True)
    groups = fields.List(fields.Nested(GroupRowSchema), required=True)
    tags = fields.List(fields.Nested(TagGainSchema), required=True)
    learners = fields.List(fields.Nested(LearnerResultSchema), required=True)


class ItemStatsSchema(Schema):
    key = fields.String(required=True)
    n = fields.Integer(required=True)
    facility = fields.Float(required=True, metadata=_PCT)
    sd = fields.Float(allow_none=True)
    discrimination = fields.Float(allow_none=True)
    efficiency = fields.Float(allow_none=True)
    flags = fields.List(fields.String(), required=True)


class TestAnalysisSchema(Schema):
    form = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    n = fields.Integer(required=True)
    mean = fields.Float(allow_none=True)
    median = fields.Float(allow_none=True)
    sd = fields.Float(allow_none=True)
    skewness = fields.Float(allow_none=True)
    kurtosis = fields.Float(allow_none=True)
    alpha = fields.Float(allow_none=True)
    alpha_items = fields.Integer(required=True)
    error_ratio = fields.Float(allow_none=True)
    standard_error = fields.Float(allow_none=True)
    items = fields.List(fields.Nested(ItemStatsSchema), required=True)


class ItemDifSchema(Schema):
    key = fields.String(required=True)
    n_a = fields.Integer(required=True)
    n_b = fields.Integer(required=True)
    facility_a = fields.Float(allow_none=True)
    facility_b = fields.Float(allow_none=True)
    facility_difference = fields.Float(allow_none=True)
    alpha_mh = fields.Float(allow_none=True)
    d_dif = fields.Float(allow_none=True)
    ets_class = fields.String(allow_none=True, validate=validate.OneOf(["A", "B", "C"]))
    flags = fields.List(fields.String(), required=True)


class TranslationSchema(Schema):
    language_a = fields.String(required=True)
    language_b = fields.String(required=True)
    items = fields.List(fields.Nested(ItemDifSchema), required=True)


class BankAnalysisSchema(Schema):
    bank_id = fields.Integer(required=True)
    banks = fields.List(fields.String(), required=True)
    overall = fields.Nested(TestAnalysisSchema, required=True)
    versions = fields.List(fields.Nested(TestAnalysisSchema), required=True)
    translations = fields.List(fields.Nested(TranslationSchema), required=True)


# --- Mentoring ---------------------------------------------------------------------------

TEXT = validate.And(validate.Length(max=10_000), NO_NUL)
#: What an id column holds (a larger number would be a database error, not a 404).
ID = validate.Range(min=1, max=MAX_ID)


class OtherPeopleSchema(Schema):
    sex = fields.String(required=True, validate=validate.OneOf([s.value for s in Sex]))
    agency_type = fields.String(
        required=True, validate=validate.OneOf([a.value for a in AgencyType])
    )
    count = fields.Integer(required=True, validate=validate.Range(min=0, max=500))


class ActionInSchema(Schema):
    text = fields.String(required=True, validate=[validate.Length(min=1, max=1000), NO_NUL])
    owner_id = fields.Integer(
        required=True, validate=ID, metadata={"description": "A member of the unit."}
    )
    due_on = fields.Date(required=True)


class ActionOutSchema(Schema):
    id = fields.Integer(required=True)
    session_id = fields.Integer(required=True)
    unit_id = fields.Integer(required=True)
    text = fields.String(required=True)
    owner_id = fields.Integer(allow_none=True)
    due_on = fields.Date(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["open", "done", "dropped"]))
    overdue = fields.Boolean(required=True)
    closed_on = fields.Date(allow_none=True)


class ActionPageSchema(PageSchema):
    items = fields.List(fields.Nested(ActionOutSchema), required=True)


class ActionArgsSchema(PageArgsSchema):
    status = fields.String(
        load_default="open",
        validate=validate.OneOf(["open", "overdue", "done", "dropped", "all"]),
    )
    unit = fields.Integer(validate=ID, metadata={"description": "Unit id."})


class ActionUpdateInSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["open", "done", "dropped"]))
    note = fields.String(load_default="", validate=[validate.Length(max=2000), NO_NUL])


FORMATS = ["on_the_job", "case_review", "workshop", "remote", "other"]


class SessionInSchema(Schema):
    unit_id = fields.Integer(required=True, validate=ID)
    held_on = fields.Date(required=True)
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=720))
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    location = fields.String(load_default="", validate=[validate.Length(max=200), NO_NUL])
    mentor_ids = fields.List(fields.Integer(validate=ID), load_default=None,
                             metadata={"description": "Default: the caller."})  # fmt: skip
    attendee_ids = fields.List(fields.Integer(validate=ID), load_default=list,
                               validate=validate.Length(max=500))  # fmt: skip
    others = fields.List(fields.Nested(OtherPeopleSchema), load_default=list,
                         validate=validate.Length(max=10))  # fmt: skip
    topics = fields.List(fields.String(validate=validate.Length(max=60)), required=True,
                         validate=validate.Length(max=20))  # fmt: skip
    case_refs = fields.List(fields.String(validate=validate.Length(max=24)), load_default=list,
                            validate=validate.Length(max=20))  # fmt: skip
    objectives = fields.String(load_default="", validate=TEXT)
    observations = fields.String(load_default="", validate=TEXT)
    challenges = fields.String(load_default="", validate=TEXT)
    actions = fields.List(fields.Nested(ActionInSchema), load_default=list,
                          validate=validate.Length(max=40))  # fmt: skip
    pii_override = fields.String(
        load_default="", validate=[validate.Length(max=500), NO_NUL],
        metadata={"description": "Why flagged text is not personal data (audited)."},
    )  # fmt: skip


class SessionOutSchema(Schema):
    id = fields.Integer(required=True)
    unit_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["draft", "submitted"]))
    version = fields.Integer(required=True)
    held_on = fields.Date(allow_none=True)
    duration_minutes = fields.Integer(allow_none=True)
    format = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    mentor_ids = fields.List(fields.Integer(), required=True)
    attendee_ids = fields.List(fields.Integer(), required=True)
    others = fields.List(fields.Nested(OtherPeopleSchema), required=True)
    topics = fields.List(fields.String(), required=True)
    case_refs = fields.List(fields.String(), required=True)
    objectives = fields.String(allow_none=True)
    observations = fields.String(allow_none=True, metadata={"description": "Markdown."})
    challenges = fields.String(allow_none=True)
    actions = fields.List(fields.Nested(ActionOutSchema), required=True)


class SessionPageSchema(PageSchema):
    items = fields.List(fields.Nested(SessionOutSchema), required=True)


class SessionArgsSchema(PageArgsSchema):
    unit = fields.Integer(validate=ID, metadata={"description": "Unit id."})


# --- Coordinators' dashboard and the donor's indicators -------------------------------------


class PeriodArgsSchema(Schema):
    start = fields.Date(metadata={"description": "First day; default 1 January of this year."})
    end = fields.Date(
        metadata={
            "description": "Last day; default 31 December. A period that ends before it "
            "starts or spans more than ten years is refused (400)."
        }
    )


class DashboardArgsSchema(PeriodArgsSchema):
    country = fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$"),
        metadata={"description": "ISO code of one of the caller's countries (else 404)."},
    )
    agency = fields.String(validate=validate.OneOf([a.value for a in AgencyType]))
    sex = fields.String(validate=validate.OneOf([s.value for s in Sex]))
    course = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    cohort = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "A cohort the caller may see (else 404)."},
    )


class FiltersOutSchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    countries = fields.List(
        fields.String(), allow_none=True, required=True,
        metadata={"description": "The countries counted; null: every country."},
    )  # fmt: skip
    agency_type = fields.String(allow_none=True, required=True)
    sex = fields.String(allow_none=True, required=True)
    course_id = fields.Integer(allow_none=True, required=True)
    cohort_id = fields.Integer(allow_none=True, required=True)


class FunnelRowSchema(Schema):
    course_id = fields.Integer(required=True)
    cohort_id = fields.Integer(allow_none=True, required=True)
    stages = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    withdrawn = fields.Integer(required=True)


class GainGroupSchema(Schema):
    n = fields.Integer(required=True, metadata={"description": "Matched pre/post pairs."})
    mean_pre = fields.Float(allow_none=True, required=True)
    mean_post = fields.Float(allow_none=True, required=True)
    mean_gain = fields.Float(allow_none=True, required=True)
    improved = fields.Integer(required=True)
    gained = fields.Integer(required=True)


class DashboardGainSchema(Schema):
    overall = fields.Nested(GainGroupSchema, required=True)
    by_sex = fields.Dict(keys=fields.String(), values=fields.Nested(GainGroupSchema), required=True)
    by_country = fields.Dict(
        keys=fields.String(), values=fields.Nested(GainGroupSchema), required=True
    )
    by_agency = fields.Dict(
        keys=fields.String(), values=fields.Nested(GainGroupSchema), required=True
    )
    pre_bands = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "Pairs per band of ten points, 0–9 first."},
    )
    post_bands = fields.List(fields.Integer(), required=True)


class DashboardMentoringSchema(Schema):
    sessions = fields.Integer(required=True)
    hours = fields.Float(required=True)
    units = fields.Integer(required=True)
    attendances = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    actions_opened = fields.Integer(required=True)
    actions_closed = fields.Integer(required=True)
    per_month = fields.List(fields.Tuple((fields.String(), fields.Integer())), required=True)


class DashboardCertificatesSchema(Schema):
    issued = fields.Integer(required=True)
    revoked = fields.Integer(required=True)
    verifications = fields.Integer(required=True)
    verified = fields.Integer(required=True)


class DashboardSchema(Schema):
    filters = fields.Nested(FiltersOutSchema, required=True)
    threshold = fields.Float(required=True)
    totals = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    funnel = fields.List(fields.Nested(FunnelRowSchema), required=True)
    gain = fields.Nested(DashboardGainSchema, required=True)
    mentoring = fields.Nested(DashboardMentoringSchema, required=True)
    certificates = fields.Nested(DashboardCertificatesSchema, required=True)


class IndicatorArgsSchema(PeriodArgsSchema):
    publish = fields.Boolean(
        metadata={"description": 'Hide groups of fewer than 5 persons (as "<5").'}
    )


class BreakdownSchema(Schema):
    total = fields.Raw(required=True, metadata={"oneOf": [{"type": "integer"}, {"type": "string"}]})
    by_sex = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    by_country = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    by_agency = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)


class TargetSchema(Schema):
    indicator = fields.String(required=True)
    target = fields.Float(required=True)
    actual = fields.Float(allow_none=True, required=True)


class ApplicationSchema(Schema):
    wave = fields.String(required=True, metadata={"description": "Months after completion."})
    respondents = fields.Raw(required=True, metadata={"description": 'A number or "<5".'})
    applying = fields.Raw(required=True)
    share = fields.Float(allow_none=True, required=True)


class IndicatorReportSchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    countries = fields.List(fields.String(), allow_none=True, required=True)
    threshold = fields.Float(required=True)
    published = fields.Boolean(required=True)
    participations = fields.Raw(required=True)
    trained = fields.Nested(BreakdownSchema, required=True)
    certified = fields.Nested(BreakdownSchema, required=True)
    tested = fields.Nested(BreakdownSchema, required=True)
    improved = fields.Nested(BreakdownSchema, required=True)
    gained = fields.Nested(BreakdownSchema, required=True)
    improved_percent = fields.Float(allow_none=True, required=True)
    gained_percent = fields.Float(allow_none=True, required=True)
    mentoring = fields.Nested(DashboardMentoringSchema, required=True)
    unit_results = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    targets = fields.List(fields.Nested(TargetSchema), required=True)
    application = fields.List(
        fields.Nested(ApplicationSchema),
        required=True,
        metadata={
            "description": "Reported application of skills per follow-up wave; "
            "fewer than 5 respondents always hidden."
        },
    )


# --- Evaluation surveys ------------------------------------------------------------------------


class SurveyResultsArgsSchema(Schema):
    course = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    wave = fields.String(
        validate=validate.Regexp(r"^(feedback|[0-9]{1,2})$"),
        metadata={"description": "feedback (default), or the follow-up's months: 3, 6."},
    )
    cohort = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class SurveyQuestionResultSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    answered = fields.Integer(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    mean = fields.Float(allow_none=True, required=True)
    texts = fields.List(fields.String(), required=True)


class SurveyResultsSchema(Schema):
    course_id = fields.Integer(required=True)
    wave = fields.String(required=True)
    anonymous = fields.Boolean(required=True)
    asked = fields.Integer(required=True)
    responses = fields.Integer(required=True)
    response_rate = fields.Float(allow_none=True, required=True)
    shown = fields.Boolean(
        required=True, metadata={"description": "False under five respondents: no answers."}
    )
    questions = fields.List(fields.Nested(SurveyQuestionResultSchema), required=True)
