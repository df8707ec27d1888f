"""A cohort's certificates as one ZIP: built at once without Redis, and by an RQ job on a
real Redis (the worker run in burst mode), with progress on the bundle's page."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue, SimpleWorker

from lms import clock
from lms.accounts.models import Role
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


@pytest.fixture
def redis_queue(app, monkeypatch):
    connection = Redis.from_url(REDIS)
    connection.flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS)
    yield Queue(bundles.QUEUE, connection=connection)
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
