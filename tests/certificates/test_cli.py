"""``flask lms certificates``: list, issue, export, revoke; refusals exit 1 with a line."""

from __future__ import annotations

import json

from lms import clock
from lms.accounts.models import Role
from lms.certificates.models import Certificate, CertificateStatus
from lms.courses.models import Course
from lms.enrolments import services as enrolments
from lms.extensions import db
from tests.assessments.test_attempts import _course
from tests.certificates.test_certificates import _complete
from tests.factories import make_cohort, make_user, sign_in


def test_issue_list_export_and_revoke(app, runner, frozen_clock, tmp_path):
    enrolment = _complete()
    username = enrolment.user.username
    db.session.commit()
    refused = runner.invoke(args=["lms", "certificates", "issue", "--user", username])
    assert refused.exit_code == 1 and "give --cohort ID" in refused.stderr
    first = runner.invoke(
        args=["lms", "certificates", "issue", "--user", username, "--course", "cert", "--json"]
    )
    assert first.exit_code == 0, first.output
    serial = json.loads(first.stdout)["serial"]
    again = runner.invoke(
        args=["lms", "certificates", "issue", "--user", username, "--course", "cert"]
    )
    assert again.stdout.strip() == serial  # once per completion
    listed = json.loads(runner.invoke(args=["lms", "certificates", "list", "--json"]).stdout)
    assert [c["serial"] for c in listed["certificates"]] == [serial]
    pdf = tmp_path / "out.pdf"
    exported = runner.invoke(args=["lms", "certificates", "export", serial, "--pdf", str(pdf)])
    assert exported.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")
    revoked = runner.invoke(
        args=["lms", "certificates", "revoke", serial.lower(), "--reason", "Duplicate record"]
    )
    assert revoked.exit_code == 0, revoked.output
    db.session.expire_all()
    assert db.session.query(Certificate).one().status is CertificateStatus.REVOKED
    twice = runner.invoke(args=["lms", "certificates", "revoke", serial, "--reason", "x"])
    assert twice.exit_code == 1 and "Only a valid certificate" in twice.stderr
    unknown = runner.invoke(args=["lms", "certificates", "export", "NOPE", "--pdf", str(pdf)])
    assert unknown.exit_code == 1 and "no certificate 'NOPE'" in unknown.stderr


def test_a_cohorts_certificates_are_issued_once_from_the_cli_and_the_page(
    app, runner, frozen_clock
):
    enrolment = _complete()
    cohort = make_cohort(db.session.get(Course, enrolment.course_id), name="Issue cohort")
    enrolment.cohort_id = cohort.id
    db.session.commit()
    first = runner.invoke(args=["lms", "certificates", "issue", "--cohort", str(cohort.id)])
    assert first.exit_code == 0 and first.stdout.strip() == "1 certificates issued"
    again = runner.invoke(args=["lms", "certificates", "issue", "--cohort", str(cohort.id)])
    assert again.stdout.strip() == "0 certificates issued"
    client = app.test_client()
    sign_in(client, make_user("issue.kg", roles=[Role.COORDINATOR], coordinator_country="KG"))
    page = client.post(f"/cohorts/{cohort.id}/certificates", follow_redirects=True)
    assert "0 certificates were issued." in page.get_data(as_text=True)
    kz = app.test_client()
    sign_in(kz, make_user("issue.kz", roles=[Role.COORDINATOR], coordinator_country="KZ"))
    assert kz.post(f"/cohorts/{cohort.id}/certificates").status_code == 404


def test_an_unfinished_course_is_refused_with_its_reason(app, runner, frozen_clock):
    course = _course(slug="cli-half")
    enrolments.enrol(make_user("cli.half"), course, now=clock.now())
    db.session.commit()
    result = runner.invoke(
        args=["lms", "certificates", "issue", "--user", "cli.half", "--course", "cli-half"]
    )
    assert result.exit_code == 1 and "not completed yet" in result.stderr
    none = runner.invoke(args=["lms", "certificates", "issue", "--cohort", "999"])
    assert none.exit_code == 1 and "no cohort 999" in none.stderr
    stranger = runner.invoke(
        args=["lms", "certificates", "issue", "--user", "nobody", "--course", "cli-half"]
    )
    assert stranger.exit_code == 1 and "nobody is not enrolled in cli-half" in stranger.stderr
