"""``flask lms surveys …``: e-mail reminders of the follow-up surveys that are open."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _

from lms import clock, mail
from lms.accounts.models import User
from lms.clitools import emit, json_option, transactional
from lms.evaluation import services
from lms.evaluation.models import SurveyInvitation
from lms.extensions import db

surveys = AppGroup("surveys", help="Evaluation surveys.")


@surveys.command("remind")
@click.option("--dry-run", is_flag=True, help="List who would be reminded; send nothing.")
@json_option
@transactional
def remind(dry_run: bool, as_json: bool) -> None:
    """E-mail every officer with an address whose follow-up survey is open, once per wave
    (schedule it daily). Without a mail server (LMS_MAIL_SERVER) nothing is sent: the
    follow-up list at /surveys/due is then the way to reach them."""
    today = clock.now().date()
    due = services.due(User.email.is_not(None), today)
    reminded = {
        (enrolment_id, wave)
        for enrolment_id, wave in db.session.execute(
            sa.select(SurveyInvitation.enrolment_id, SurveyInvitation.wave).where(
                SurveyInvitation.reminded_on.is_not(None)
            )
        )
    }
    pending = [i for i in due if (i.enrolment_id, i.wave) not in reminded]
    configured = bool(current_app.config.get("MAIL_SERVER"))
    people = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_(sorted({i.user_id for i in pending})))
        )
    }
    sent = 0
    if configured and not dry_run:
        site = current_app.config["SITE_URL"].rstrip("/")
        for invitation in pending:
            person = people[invitation.user_id]
            with force_locale(person.locale or "en"):
                link = f"{site}/surveys/{invitation.enrolment_id}/{invitation.wave}"
                mail.send(
                    current_app.config,
                    to=person.email,
                    subject=_("PROTECT LMS: a short follow-up survey on your course"),
                    body=_(
                        "Some months ago you completed a course on PROTECT LMS. Please tell "
                        "us in a few minutes whether you use what you learnt:\n\n%(link)s\n\n"
                        "The survey is open until %(day)s.",
                        link=link,
                        day=invitation.closes_on.isoformat() if invitation.closes_on else "",
                    ),
                )
            services.reminded(invitation.enrolment_id, invitation.wave, today)
            sent += 1
    emit(
        {"due": len(pending), "sent": sent, "mail_configured": configured, "dry_run": dry_run},
        as_json=as_json,
        text=(
            f"{len(pending)} follow-up reminders due, {sent} sent"
            + ("" if configured else " (no mail server configured: nothing sent)")
        ),
    )
