"""Import-only index of every model, so Alembic's autogenerate and the shell see them all."""

from lms.accounts.models import (
    Agency,
    ApiToken,
    Country,
    ImportBatch,
    LoginThrottle,
    RecoveryCode,
    RoleGrant,
    Unit,
    UnitAssignment,
    User,
    UserSession,
)
from lms.assessments.models import (
    BankUpload,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionVersion,
)
from lms.audit import AuditEvent
from lms.certificates.models import Certificate, CertificateBundle, CertificatePdf
from lms.courses.models import Course, Lesson, LessonVersion, Module
from lms.enrolments.models import Enrolment, LessonProgress
from lms.evaluation.models import (
    AnonymousResponse,
    ApplicationConfirmation,
    CourseSurvey,
    SurveyInvitation,
    SurveyResponse,
    SurveyVersion,
)
from lms.mentoring.models import (
    ActionPoint,
    ActionUpdate,
    MentorAssignment,
    MentoringSession,
    SessionAttendee,
    SessionRevision,
    UnitAssessment,
    UnitResult,
)
from lms.reports.targets import IndicatorTarget

__all__ = [
    "ActionPoint",
    "ActionUpdate",
    "Agency",
    "AnonymousResponse",
    "ApiToken",
    "ApplicationConfirmation",
    "AuditEvent",
    "BankUpload",
    "Certificate",
    "CertificateBundle",
    "CertificatePdf",
    "Country",
    "Course",
    "CourseSurvey",
    "Enrolment",
    "ImportBatch",
    "IndicatorTarget",
    "Lesson",
    "LessonProgress",
    "LessonVersion",
    "LoginThrottle",
    "MentorAssignment",
    "MentoringSession",
    "Module",
    "Question",
    "QuestionBank",
    "QuestionCategory",
    "QuestionVersion",
    "RecoveryCode",
    "RoleGrant",
    "SessionAttendee",
    "SessionRevision",
    "SurveyInvitation",
    "SurveyResponse",
    "SurveyVersion",
    "Unit",
    "UnitAssessment",
    "UnitAssignment",
    "UnitResult",
    "User",
    "UserSession",
]
