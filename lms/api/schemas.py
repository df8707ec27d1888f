"""Marshmallow schemas of the API: what goes in (query arguments) and what comes out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lms.accounts.models import AgencyType, Role, Sex


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
