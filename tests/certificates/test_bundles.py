"""A cohort's certificates as one ZIP: built at once without Redis, and by an RQ job on a
real Redis (the worker run in burst mode), with progress on the bundle's page."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue, SimpleWorker

from lms import clock, jobs
from lms.accounts.models import Role, User
from lms.audit import AuditEvent
from lms.certificates import bundles, serials, services
from lms.certificates.models import BundleStatus, CertificateBundle
from lms.courses.models import Course
from lms.extensions import db
from tests.certificates.test_certificates import _complete
from tests.factories import make_cohort, make_user, sign_in

REDIS = "redis://127.0.0.1:6379/14"


def _cohort_with_certificates(count: int = 3):
    enrolments = [_complete(f"bundle.l{n}", full_name=f"Learner {n}", latin=None)
                  for n in range(count)]  # fmt: skip
    cohort = make_cohort(db.session.get(Course, enrolments[0].course_id), name="Bundle cohort")
    for enrolment in enrolments:
        enrolment.cohort_id = cohort.id
    services.issue_for_cohort(cohort, by=None, now=clock.now())
    db.session.commit()
    return cohort


def _read(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    manifest = archive.read("manifest.csv").decode("utf-8-sig")
    return sorted(archive.namelist()), list(csv.DictReader(io.StringIO(manifest)))


def test_without_redis_the_bundle_is_built_at_once(app, frozen_clock):
    cohort = _cohort_with_certificates()
    client = app.test_client()
    sign_in(client, make_user("bundle.kg", roles=[Role.COORDINATOR], coordinator_country="KG"))
    page = client.post(f"/cohorts/{cohort.id}/certificates/bundle", follow_redirects=True)
    assert "3 certificates in one ZIP file" in page.get_data(as_text=True)
    bundle = db.session.scalar(sa.select(CertificateBundle))
    download = client.get(f"/certificates/bundles/{bundle.id}.zip")
    assert download.mimetype == "application/zip"
    names, manifest = _read(download.data)
    assert len([n for n in names if n.endswith(".pdf")]) == 3
    assert len([n for n in names if n.endswith(".jwt")]) == 3
    assert [row["holder"] for row in manifest] == ["Learner 0", "Learner 1", "Learner 2"]
    assert all(serials.is_valid(row["serial"].replace("-", "")) for row in manifest)
    kz = app.test_client()
    sign_in(kz, make_user("bundle.kz", roles=[Role.COORDINATOR], coordinator_country="KZ"))
    assert kz.get(f"/certificates/bundles/{bundle.id}.zip").status_code == 404
    assert kz.post(f"/cohorts/{cohort.id}/certificates/bundle").status_code == 404


def test_with_redis_down_the_bundle_is_built_at_once(app, frozen_clock, monkeypatch):
    from tests.main.test_health import _free_port

    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{_free_port()}/0")
    cohort = _cohort_with_certificates(count=1)
    client = app.test_client()
    sign_in(client, make_user("down.kg", roles=[Role.COORDINATOR], coordinator_country="KG"))
    page = client.post(f"/cohorts/{cohort.id}/certificates/bundle", follow_redirects=True)
    assert "1 certificate in one ZIP file" in page.get_data(as_text=True)
    bundle = db.session.scalar(sa.select(CertificateBundle))
    assert bundle.status is BundleStatus.DONE


@pytest.fixture
def redis_queue(app, monkeypatch):
    connection = Redis.from_url(REDIS)
    connection.flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS)
    yield Queue(jobs.QUEUE, connection=connection)
    connection.flushdb()


def test_with_redis_a_worker_builds_the_bundle_while_the_page_shows_progress(
    app, frozen_clock, redis_queue
):
    cohort = _cohort_with_certificates(count=2)
    client = app.test_client()
    sign_in(client, make_user("rq.kg", roles=[Role.COORDINATOR], coordinator_country="KG"))
    page = client.post(f"/cohorts/{cohort.id}/certificates/bundle", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Being prepared: 0 of 2 certificates." in text
    assert 'http-equiv="refresh"' in text
    assert len(redis_queue) == 1
    bundle = db.session.scalar(sa.select(CertificateBundle))
    assert client.get(f"/certificates/bundles/{bundle.id}.zip").status_code == 404  # not yet
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    db.session.expire_all()
    assert bundle.status is BundleStatus.DONE and bundle.done == 2
    names, _manifest = _read(client.get(f"/certificates/bundles/{bundle.id}.zip").data)
    assert "manifest.csv" in names
    # A second run of the same job finds the bundle taken: it is built once.
    bundles.build(bundle.id)
    assert bundle.status is BundleStatus.DONE


def test_a_failed_build_says_so(app, frozen_clock, monkeypatch):
    cohort = _cohort_with_certificates(count=1)
    bundle = bundles.request_bundle(cohort, by=None, now=clock.now())
    db.session.commit()

    def broken(_bundle):
        raise OSError("No space left on device")

    monkeypatch.setattr(bundles, "_zip", broken)
    bundles.build(bundle.id)
    db.session.expire_all()
    assert bundle.status is BundleStatus.FAILED and "No space" in bundle.error
    assert bundle.content is None


def _slips_cohort():
    """Three holders: two cannot sign in yet (one deactivated), one has a password."""
    cohort = _cohort_with_certificates(count=3)
    people = {u.username: u for u in db.session.scalars(sa.select(User))}
    people["bundle.l1"].password_hash = None
    people["bundle.l2"].password_hash = None
    people["bundle.l2"].is_active = False
    db.session.commit()
    return cohort, people


def test_a_bundle_with_activation_slips_carries_working_codes_for_those_who_need_them(
    app, frozen_clock
):
    cohort, people = _slips_cohort()
    client = app.test_client()
    requester = make_user(
        "slips.kg", roles=[Role.COORDINATOR], coordinator_country="KG", locale="ru"
    )
    sign_in(client, requester)
    page = client.post(
        f"/cohorts/{cohort.id}/certificates/bundle?slips=1", follow_redirects=True
    ).get_data(as_text=True)
    assert "activation-slips.html" in page and "В файле есть коды активации" in page
    bundle = db.session.scalar(sa.select(CertificateBundle))
    assert bundle.slips_for == [people["bundle.l1"].id] and bundle.slips == 1
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/certificates/bundles/{bundle.id}.zip").data))
    html = archive.read("activation-slips.html").decode("utf-8")
    assert "bundle.l1" in html and "bundle.l0" not in html and "bundle.l2" not in html
    assert "Код активации" in html  # in the requester's language
    assert "<style>" in html  # opens from the ZIP without the site
    code = re.search(r'class="slip__code" dir="ltr">([A-Z0-9-]+)<', html).group(1)
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent)
        .where(AuditEvent.action == "auth.activation_issue", AuditEvent.actor_id == requester.id)
    ) == 1  # fmt: skip
    # The printed code works once on the activation page.
    done = app.test_client().post(
        "/activate",
        data={"username": "bundle.l1", "code": code, "password": "poppies on the chui road",
              "confirm": "poppies on the chui road"},
    )  # fmt: skip
    assert done.headers["Location"] == "/login"
    db.session.expire_all()
    assert people["bundle.l1"].password_hash is not None
    # Another coordinator of the country sees the bundle but may not take its codes.
    other = app.test_client()
    sign_in(other, make_user("slips.kg2", roles=[Role.COORDINATOR], coordinator_country="KG"))
    assert "only the person who asked" in other.get(f"/certificates/bundles/{bundle.id}").get_data(
        as_text=True
    )
    assert other.get(f"/certificates/bundles/{bundle.id}.zip").status_code == 403


def test_slips_are_only_for_holders_the_requester_may_issue_codes_to(app, frozen_clock):
    cohort, people = _slips_cohort()
    people["bundle.l1"].country_code = "TJ"  # out of a Kyrgyz coordinator's hands
    db.session.commit()
    client = app.test_client()
    sign_in(client, make_user("slips.kg3", roles=[Role.COORDINATOR], coordinator_country="KG"))
    page = client.post(
        f"/cohorts/{cohort.id}/certificates/bundle?slips=1", follow_redirects=True
    ).get_data(as_text=True)
    assert "every holder can already sign in" in page
    bundle = db.session.scalar(sa.select(CertificateBundle))
    assert bundle.slips == 0
    names, _manifest = _read(client.get(f"/certificates/bundles/{bundle.id}.zip").data)
    assert "activation-slips.html" not in names
    db.session.expire_all()
    assert people["bundle.l1"].activation_code_hash is None


def test_a_bundle_without_slips_issues_no_codes(app, frozen_clock):
    cohort, people = _slips_cohort()
    client = app.test_client()
    sign_in(client, make_user("slips.kg4", roles=[Role.COORDINATOR], coordinator_country="KG"))
    client.post(f"/cohorts/{cohort.id}/certificates/bundle", follow_redirects=True)
    bundle = db.session.scalar(sa.select(CertificateBundle))
    assert bundle.slips_for is None and bundle.slips == 0
    db.session.expire_all()
    assert people["bundle.l1"].activation_code_hash is None
