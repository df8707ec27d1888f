"""Certificates: issued once per completion (also under fifty concurrent issues), frozen
PDFs that print the serial, course and both scores with a QR code to the verification
page, revocation in scope, supersession after a retake, and the public verification
page that names the holder by initials and checks a typed name."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from lms import clock
from lms.accounts.models import Role, User
from lms.assessments import attempts
from lms.audit import AuditEvent
from lms.certificates import serials, services
from lms.certificates.models import Certificate, CertificatePdf, CertificateStatus
from lms.courses.models import Course as _Course
from lms.enrolments import services as enrolments
from lms.enrolments.models import Enrolment
from lms.errors import Conflict, Invalid, NotAllowed
from lms.extensions import db
from tests.assessments.test_attempts import _course, _right_answers
from tests.concurrency import race
from tests.conftest import make_test_app
from tests.factories import make_user, sign_in


def _complete(username: str = "cert.learner", **person) -> Enrolment:
    """A learner who took the pre-test (all wrong: 0 %), read every lesson and passed the
    post-test (two of three right, the written answer left blank: 66.67 %)."""
    course = db.session.scalar(sa.select(_Course).where(_Course.slug == "cert")) or _course(
        slug="cert"
    )
    learner = make_user(username, full_name=person.pop("full_name", "Айгерим Садыкова"),
                        full_name_latin=person.pop("latin", "Aigerim Sadykova"),
                        country_code=person.pop("country_code", "KG"), **person)  # fmt: skip
    enrolment = enrolments.enrol(learner, course, now=clock.now())
    pre = attempts.start(enrolment, course, "pre", language="en", now=clock.now())
    attempts.submit(pre, now=clock.now())
    for lesson, _m in enrolments.live_lessons([course.id]):
        enrolments.complete_lesson(enrolment, lesson, course, now=clock.now())
    post = attempts.start(enrolment, course, "post", language="en", now=clock.now())
    attempts.save(post, _right_answers(post), now=clock.now())
    attempts.submit(post, now=clock.now())
    for item, _q in attempts.load_items(post):
        if item.needs_marking:
            attempts.mark(item, fraction=1.0, note=None, by=None, now=clock.now())
    assert enrolment.completed_at is not None
    return enrolment


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_completion_gets_one_certificate_whose_pdf_says_it_all(app, frozen_clock, tmp_path):
    enrolment = _complete()
    certificate = services.issue(enrolment, now=clock.now())
    assert services.issue(enrolment, now=clock.now()) is certificate  # once per completion
    assert serials.is_valid(certificate.serial)
    assert (certificate.pre_score, certificate.post_score, certificate.gain) == (0.0, 66.67, 66.7)
    assert certificate.issuers[0].startswith("United Nations Office on Drugs and Crime")
    assert "Kyrgyz" in certificate.issuers[1]
    text = _pdf_text(services.pdf_of(certificate), tmp_path)
    assert serials.grouped(certificate.serial) in text
    assert "Course cert" in text and "Айгерим Садыкова" in text and "Aigerim Sadykova" in text
    assert "0%" in text and "66.7%" in text and "+66.7" in text
    assert "March 2, 2026" in text


def test_the_qr_code_opens_the_verification_page(app, frozen_clock, tmp_path):
    certificate = services.issue(_complete(), now=clock.now())
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(services.pdf_of(certificate))
    subprocess.run(["pdftoppm", "-png", "-r", "200", str(pdf), str(tmp_path / "page")], check=True)
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page-1.png")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert decoded == f"http://127.0.0.1:5000/verify/{certificate.serial}"


def test_an_unfinished_course_has_no_certificate(app, frozen_clock):
    course = _course(slug="unfinished")
    enrolment = enrolments.enrol(make_user("cert.half"), course, now=clock.now())
    with pytest.raises(NotAllowed, match="not completed"):
        services.issue(enrolment, now=clock.now())


def test_a_renderer_failure_leaves_nothing_half_issued(app, frozen_clock, monkeypatch):
    enrolment = _complete()

    def broken(*_args, **_kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(services.render, "pdf", broken)
    with pytest.raises(OSError, match="No space"):
        services.issue(enrolment, now=clock.now())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificatePdf)) == 0
    # The completion signal's receiver logs such a failure: the completion stands.
    services.on_completed(enrolment)
    assert enrolment.completed_at is not None


def test_completing_a_course_issues_the_certificate_at_once(app, frozen_clock, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATES_AUTO_ISSUE", True)
    enrolment = _complete()
    found = db.session.scalar(
        sa.select(Certificate).where(Certificate.enrolment_id == enrolment.id)
    )
    assert found is not None and found.status is CertificateStatus.VALID


def test_a_retake_after_revocation_supersedes_the_old_certificate(app, frozen_clock):
    first = services.issue(_complete(), now=clock.now())
    services.revoke(first, reason="Issued by mistake", by=None, now=clock.now())
    with pytest.raises(Conflict):
        services.revoke(first, reason="again", by=None, now=clock.now())
    first_enrolment = db.session.get(Enrolment, first.enrolment_id)
    course = db.session.get(_Course, first.course_id)
    retake = enrolments.enrol(first_enrolment.user, course, now=clock.now())
    retake.completed_at = clock.now()
    second = services.issue(retake, now=clock.now())
    assert second.id != first.id and first.superseded_by_id == second.id
    assert first.status is CertificateStatus.REVOKED  # its revocation stays on record
    valid = services.issue(_complete("cert.other"), now=clock.now())
    other = db.session.get(Enrolment, valid.enrolment_id).user
    third = enrolments.enrol(other, course, now=clock.now())
    third.completed_at = clock.now()
    services.issue(third, now=clock.now())
    assert valid.status is CertificateStatus.SUPERSEDED


def test_a_revocation_needs_a_reason():
    with pytest.raises(Invalid):
        services.revoke(Certificate(status=CertificateStatus.VALID), reason=" ", by=None, now=None)


def test_fifty_concurrent_issues_give_one_certificate(make_database):
    app = make_test_app(make_database("certificates"))
    with app.app_context():
        upgrade()
        enrolment_id = _complete().id
        db.session.commit()
    serials_seen = race(
        app,
        lambda: services.issue(db.session.get(Enrolment, enrolment_id), now=clock.now()).serial,
    )
    errors = [s for s in serials_seen if isinstance(s, Exception)]
    assert errors == [], errors[:3]
    assert len(serials_seen) == 50 and len(set(serials_seen)) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificatePdf)) == 1
        issued = sa.select(sa.func.count()).select_from(AuditEvent)
        assert db.session.scalar(issued.where(AuditEvent.action == "certificate.issue")) == 1
        db.session.remove()
        db.engine.dispose()


# --- Pages -------------------------------------------------------------------------------------


def test_only_the_holder_and_staff_over_them_download_the_pdf(app, frozen_clock):
    certificate = services.issue(_complete(), now=clock.now())
    holder = db.session.get(Enrolment, certificate.enrolment_id).user
    db.session.commit()
    url = f"/certificates/{certificate.serial}.pdf"
    for user, status in (
        (holder, 200),
        (make_user("cert.peer", country_code="KG"), 404),
        (make_user("cert.kg", roles=[Role.COORDINATOR], coordinator_country="KG"), 200),
        (make_user("cert.kz", roles=[Role.COORDINATOR], coordinator_country="KZ"), 404),
        (make_user("cert.trainer", roles=[Role.TRAINER]), 404),
    ):
        client = app.test_client()
        sign_in(client, user)
        response = client.get(url)
        assert response.status_code == status, user.username
        if status == 200:
            assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    client = app.test_client()
    sign_in(client, holder)
    assert client.get("/certificates/NOT-A-CODE.pdf").status_code == 404


def test_a_coordinator_revokes_within_their_countries(app, frozen_clock):
    certificate = services.issue(_complete(), now=clock.now())
    db.session.commit()
    url = f"/certificates/{certificate.serial}"
    kz = app.test_client()
    sign_in(kz, make_user("rev.kz", roles=[Role.COORDINATOR], coordinator_country="KZ"))
    assert kz.post(url, data={"reason": "no"}).status_code == 404
    kg = app.test_client()
    sign_in(kg, make_user("rev.kg", roles=[Role.COORDINATOR], coordinator_country="KG"))
    empty = kg.post(url, data={"reason": "  "})
    assert empty.status_code == 422 and "Give the reason" in empty.get_data(as_text=True)
    assert kg.post(url, data={"reason": "Completed under another name"}).status_code == 302
    db.session.expire_all()
    assert certificate.status is CertificateStatus.REVOKED
    page = app.test_client().get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "was revoked" in page and "Completed under another name" in page


def test_the_public_page_masks_the_name_and_checks_a_typed_one(app, frozen_clock, monkeypatch):
    certificate = services.issue(_complete(), now=clock.now())
    db.session.commit()
    client = app.test_client()
    page = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "This certificate is valid." in page and "A. S." in page
    assert "Aigerim" not in page and "Айгерим" not in page and "Sadykova" not in page
    assert "66.7" not in page  # no scores, no agency, no rank
    typed = serials.grouped(certificate.serial).lower()
    assert client.get(f"/verify/{typed}").status_code == 200  # forgiving of case and dashes
    yes = client.post(f"/verify/{certificate.serial}", data={"name": "sadykova  AIGERIM"})
    assert "The name matches" in yes.get_data(as_text=True)
    native = client.post(f"/verify/{certificate.serial}", data={"name": "Айгерим Садыкова"})
    assert "The name matches" in native.get_data(as_text=True)
    no = client.post(f"/verify/{certificate.serial}", data={"name": "Aigerim Sadyrova"})
    assert "does not match" in no.get_data(as_text=True)
    body = client.get(f"/verify/{certificate.serial}.json").get_json()
    assert body["status"] == "valid" and body["holder"] == "A. S." and "pre_score" not in body
    monkeypatch.setitem(app.config, "VERIFY_FULL_NAME_COUNTRIES", ["KG"])
    assert "Айгерим Садыкова" in client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    checks = sa.select(sa.func.count()).where(AuditEvent.action == "certificate.verify")
    assert db.session.scalar(checks) >= 6  # every verification is audited


def test_unknown_and_malformed_codes_are_answered_alike(app, frozen_clock):
    client = app.test_client()
    unknown = serials.new_serial()
    for code in (unknown, "abc", unknown[:-1] + ("0" if unknown[-1] != "0" else "1")):
        response = client.get(f"/verify/{code}")
        assert response.status_code == 404
        assert "No certificate has this number." in response.get_data(as_text=True)
        assert client.get(f"/verify/{code}.json").status_code == 404
    typo = client.get("/verify?code=K7QM-2XHD-9RTB-V4NU")
    assert typo.status_code == 422 and "only digits and Latin letters" in typo.get_data(
        as_text=True
    )


def test_the_public_check_is_rate_limited_per_address(app, frozen_clock, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "3 per minute")
    client = app.test_client()
    address = {"REMOTE_ADDR": "198.51.100.7"}  # an address of its own: a fresh count
    codes = [
        client.get(f"/verify/{serials.new_serial()}", environ_overrides=address).status_code
        for _ in range(4)
    ]
    assert codes == [404, 404, 404, 429]


def test_a_certificate_of_a_course_with_a_validity_expires(app, frozen_clock, tmp_path):
    enrolment = _complete()
    db.session.get(_Course, enrolment.course_id).certificate_valid_years = 2
    certificate = services.issue(enrolment, now=clock.now())
    db.session.commit()
    # Completed on Monday 2 March 2026: valid through Wednesday 1 March 2028.
    assert certificate.expires_on == date(2028, 3, 1)
    assert "Valid until" in _pdf_text(services.pdf_of(certificate), tmp_path)
    assert "March 1, 2028" in _pdf_text(services.pdf_of(certificate), tmp_path)
    client = app.test_client()
    assert "It is valid until" in client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    frozen_clock.advance(timedelta(days=731))
    page = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "This certificate expired on" in page
    assert client.get(f"/verify/{certificate.serial}.json").get_json()["status"] == "expired"


def test_a_merge_gives_the_certificate_and_attempts_to_the_kept_record(app, frozen_clock):
    from lms.accounts import services as accounts
    from lms.certificates.models import Certificate

    enrolment = _complete("merge.source")
    services.issue(enrolment, now=clock.now())
    source = db.session.get(User, enrolment.user_id)
    target = make_user("merge.target", country_code="KG")
    result = accounts.merge_users(source, target, actor=None, now=clock.now())
    assert result.moved["certificates"] == 1 and result.moved["attempts"] == 2
    assert db.session.scalar(sa.select(Certificate.user_id)) == target.id
