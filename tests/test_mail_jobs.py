"""With Redis configured, mail leaves through the job queue: the page that sends it never
waits on the mail server, and a worker delivers it with its own configuration."""

from __future__ import annotations

from redis import Redis
from rq import Queue, SimpleWorker

from lms import jobs, mail
from tests.factories import make_user

REDIS = "redis://127.0.0.1:6379/11"


def test_a_password_reset_mail_is_queued_then_delivered_by_the_worker(app, client, monkeypatch):
    connection = Redis.from_url(REDIS)
    connection.flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "mail.invalid")
    delivered = []
    monkeypatch.setattr(mail, "deliver", lambda config, **message: delivered.append(message))
    make_user("queued.mail", email="queued@example.org")
    try:
        response = client.post("/login/forgot", data={"username": "queued.mail"})
        assert response.status_code == 302
        queue = Queue(jobs.QUEUE, connection=connection)
        assert len(queue) == 1 and delivered == []  # the page did not wait for the mail
        with app.app_context():
            SimpleWorker([queue], connection=connection).work(burst=True)
        assert [m["to"] for m in delivered] == ["queued@example.org"]
        assert "/login/reset/" in delivered[0]["body"]
    finally:
        connection.flushdb()


def test_without_redis_mail_is_sent_at_once(app, monkeypatch):
    delivered = []
    monkeypatch.setattr(mail, "deliver", lambda config, **message: delivered.append(message))
    mail.send(app.config, to="now@example.org", subject="S", body="B")
    assert delivered == [{"to": "now@example.org", "subject": "S", "body": "B"}]


def test_when_redis_does_not_answer_mail_is_sent_at_once(app, monkeypatch, caplog):
    from tests.main.test_health import _free_port

    delivered = []
    monkeypatch.setattr(mail, "deliver", lambda config, **message: delivered.append(message))
    config = {**app.config, "REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0",
              "MAIL_SERVER": "mail.invalid"}  # fmt: skip
    mail.send(config, to="down@example.org", subject="S", body="B")
    assert [m["to"] for m in delivered] == ["down@example.org"]
    assert "job queue unavailable" in caplog.text
