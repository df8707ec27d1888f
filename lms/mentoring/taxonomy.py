"""What mentoring talks about and what it measures: the topics of coaching sessions, linked
to the course modules and learning objectives that teach them, and the competency framework
of the unit capacity scorecard (levels 1 to 4, a descriptor for each)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Topic:
    key: str
    label: LazyString
    #: (course slug, module folder) pairs where the topic is taught.
    modules: tuple[tuple[str, str], ...]
    #: Learning objective ids of those courses.
    objectives: tuple[str, ...]


TIP = "investigating-tip-som"
MONEY = "following-the-money"
VICTIM = "victim-centred-practice"

TOPICS: tuple[Topic, ...] = (
    Topic("definitions", _l("Legal definitions: trafficking and smuggling"),
          ((TIP, "01-definitions"),), ("m1-elements", "m1-smuggling", "m1-continuum", "m1-law")),
    Topic("victim-identification", _l("Identifying victims and indicators"),
          ((TIP, "02-identifying-victims"),), ("m2-indicators",)),
    Topic("first-contact-referral", _l("Safe first contact and referral"),
          ((TIP, "02-identifying-victims"), (VICTIM, "01-principles")),
          ("m2-first-response", "v1-principles", "v1-consent")),
    Topic("non-punishment", _l("The non-punishment principle"),
          ((TIP, "02-identifying-victims"), (VICTIM, "04-gender-protection-non-punishment")),
          ("m2-non-punishment",)),
    Topic("proactive-investigation", _l("Proactive and reactive investigation"),
          ((TIP, "03-investigating-trafficking"),), ("m3-approaches", "m3-evidence")),
    Topic("special-techniques", _l("Special investigative techniques"),
          ((TIP, "03-investigating-trafficking"),), ("m3-techniques",)),
    Topic("smuggling-networks", _l("Smuggling networks and their facilitators"),
          ((TIP, "04-smuggling-networks"),), ("m4-offences", "m4-networks", "m4-rights")),
    Topic("financial-investigation", _l("Parallel financial investigation"),
          ((MONEY, "01-why-follow-the-money"), (MONEY, "02-red-flags-and-sources"),
           (MONEY, "03-tracing-freezing-confiscation")),
          ("f1-parallel", "f2-red-flags", "f2-sources", "f3-tracing", "f3-freezing")),
    Topic("international-cooperation", _l("International cooperation and joint teams"),
          ((TIP, "05-international-cooperation"), (MONEY, "04-cooperation-on-assets")),
          ("m5-channels", "m5-requests", "m5-jit", "m5-assets", "f4-cooperation")),
    Topic("victim-interviewing", _l("Victim-centred, trauma-informed interviewing"),
          ((VICTIM, "02-interviewing"),), ("v2-peace", "v2-trauma", "v2-interpreters")),
    Topic("children", _l("Child victims"),
          ((VICTIM, "03-children"), (TIP, "01-definitions")),
          ("v3-children", "m1-consent-children")),
    Topic("gender", _l("Gender-sensitive practice and protection"),
          ((VICTIM, "04-gender-protection-non-punishment"),), ("v4-gender", "v4-protection")),
    Topic("case-building", _l("Building the case file and charging"),
          ((TIP, "06-prosecuting-and-adjudicating"),),
          ("m6-mosaic", "m6-charges", "m6-consent-apov", "m6-victim-witness")),
    Topic("unit-management", _l("Unit organisation, procedures and data"), (), ()),
)  # fmt: skip
TOPIC_KEYS = frozenset(topic.key for topic in TOPICS)
TOPIC_KEYS_ORDER = tuple(topic.key for topic in TOPICS)


def topic(key: str) -> Topic | None:
    return next((t for t in TOPICS if t.key == key), None)


@dataclass(frozen=True)
class Competency:
    key: str
    label: LazyString
    #: What levels 1 to 4 look like in a unit.
    levels: tuple[LazyString, LazyString, LazyString, LazyString]


COMPETENCIES: tuple[Competency, ...] = (
    Competency("victim-identification", _l("Victim identification"), (
        _l("Victims are found only when they come forward; indicators are not known."),
        _l("Officers know the indicators but use them unevenly; screening depends on individuals."),
        _l("Indicators are used routinely at first contact and referrals follow a procedure."),
        _l("The unit screens proactively with partners and reviews missed cases to improve."),
    )),
    Competency("proactive-investigation", _l("Proactive investigation"), (
        _l("Cases open only on a complaint and rest on the victim's statement."),
        _l("Some corroboration is sought, but investigations stay reactive."),
        _l("Intelligence-led cases are opened and evidence does not rest on the victim alone."),
        _l("The unit plans proactive operations against networks and measures their results."),
    )),
    Competency("financial-investigation", _l("Financial investigation"), (
        _l("The money is not followed."),
        _l("Bank records are sometimes requested, late and without a plan."),
        _l("A parallel financial investigation is opened in most cases, with the financial "
           "intelligence unit."),
        _l("Assets are traced, frozen and confiscated as a matter of course."),
    )),
    Competency("victim-interviewing", _l("Victim-centred interviewing"), (
        _l("Victims are interviewed like suspects, repeatedly and without support."),
        _l("Officers know the principles; practice depends on who interviews."),
        _l("Planned, trauma-informed interviews with interpreters and support are the norm."),
        _l("Interviews are recorded once, reviewed for quality, and children are interviewed "
           "by specialists."),
    )),
    Competency("international-cooperation", _l("International cooperation"), (
        _l("Cross-border leads are dropped."),
        _l("Requests are sent through formal channels only, slowly and incomplete."),
        _l("Police-to-police channels and mutual legal assistance are used correctly."),
        _l("The unit runs joint or parallel investigations with partners abroad."),
    )),
    Competency("case-file-quality", _l("Case file quality"), (
        _l("Files are incomplete and cases fail at the prosecutor's review."),
        _l("Files are complete but the evidence of means and purpose is weak."),
        _l("Files prove each element and are agreed with the prosecutor early."),
        _l("Files are reviewed against a checklist and lessons are shared across the unit."),
    )),
)  # fmt: skip
COMPETENCY_KEYS = frozenset(c.key for c in COMPETENCIES)
LEVELS = (1, 2, 3, 4)
