"""Outgoing e-mail. Without a configured server, mails are written to the log (development)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from lms import jobs

log = logging.getLogger(__name__)


def send(config: Any, *, to: str, subject: str, body: str) -> None:
    """Send a plain-text mail: through the job queue when Redis is configured (a slow or
    unreachable mail server then never holds up a page), at once otherwise or when Redis
    does not answer."""
    if config.get("MAIL_SERVER") and jobs.enqueue(
        config.get("REDIS_URL"), deliver_job, to=to, subject=subject, body=body
    ):
        return
    deliver(config, to=to, subject=subject, body=body)


def deliver_job(*, to: str, subject: str, body: str) -> None:
    """The RQ job: deliver with the worker's app configuration."""
    from flask import current_app, has_app_context

    if has_app_context():
        deliver(current_app.config, to=to, subject=subject, body=body)
        return
    from lms import create_app

    app = create_app()
    with app.app_context():
        deliver(app.config, to=to, subject=subject, body=body)


def deliver(config: Any, *, to: str, subject: str, body: str) -> None:
    """Send a plain-text mail now with the settings in ``config`` (an app config mapping)."""
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not config["MAIL_SERVER"]:
        if config.get("ENV") == "production":
            # Never write a mail's body (it may hold a reset link) to a production log.
            log.error("mail not sent (no MAIL_SERVER configured): to=%s subject=%s", to, subject)
        else:
            log.info("mail (development, not sent) to=%s subject=%s\n%s", to, subject, body)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
