"""Signed credentials: an Open Badges 3.0 credential per certificate, signed with Ed25519,
attached to the PDF, downloadable, verifiable offline (and failing when one character
changes), with key rotation that keeps old credentials verifying."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import pytest

from lms import clock, crypto
from lms.certificates import credentials, services
from lms.certificates.models import CertificateStatus
from lms.enrolments.models import Enrolment
from lms.extensions import db
from tests.certificates.test_certificates import _complete
from tests.factories import sign_in


def _tampered(token: str) -> str:
    """The token with one character of its payload changed."""
    head, payload, signature = token.split(".")
    middle = len(payload) // 2
    swapped = "A" if payload[middle] != "A" else "B"
    return ".".join([head, payload[:middle] + swapped + payload[middle + 1 :], signature])


def test_each_certificate_carries_a_signed_open_badges_credential(app, frozen_clock, tmp_path):
    certificate = services.issue(_complete(), now=clock.now())
    ring = services.key_ring()
    claims = credentials.verify(certificate.credential, ring, now=clock.now())
    vc = claims["vc"]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert claims["jti"].endswith(certificate.serial)
    assert vc["credentialSubject"]["achievement"]["name"] == "Course cert"
    assert vc["credentialSubject"]["name"] == "Aigerim Sadykova"
    assert vc["issuer"]["name"].startswith("United Nations Office on Drugs and Crime")
    assert "evidence" not in vc  # scores are shared only where the learner agreed
    # The PDF carries it as an attached file (read back with poppler's pdfdetach).
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(services.pdf_of(certificate))
    listed = subprocess.run(["pdfdetach", "-list", str(pdf)], capture_output=True, text=True)
    assert "credential.jwt" in listed.stdout
    subprocess.run(
        ["pdfdetach", "-save", "1", "-o", str(tmp_path / "attached.jwt"), str(pdf)], check=True
    )
    assert (tmp_path / "attached.jwt").read_text() == certificate.credential
    with pytest.raises(credentials.CredentialError) as error:
        credentials.verify(_tampered(certificate.credential), ring, now=clock.now())
    assert error.value.reason == "signature"
    with pytest.raises(credentials.CredentialError, match="not a signed credential"):
        credentials.verify("hello", ring, now=clock.now())


def test_an_expiring_credential_stops_verifying_after_its_last_day(app, frozen_clock):
    enrolment = _complete()
    from lms.courses.models import Course

    db.session.get(Course, enrolment.course_id).certificate_valid_years = 1
    certificate = services.issue(enrolment, now=clock.now())
    ring = services.key_ring()
    later = clock.now() + timedelta(days=400)
    with pytest.raises(credentials.CredentialError) as error:
        credentials.verify(certificate.credential, ring, now=later)
    assert error.value.reason == "expired"


def test_a_rotated_key_keeps_old_credentials_verifying(app, frozen_clock, monkeypatch):
    first = services.issue(_complete(), now=clock.now())
    old_ring = services.key_ring()
    new_pem = crypto.new_private_pem()
    monkeypatch.setitem(app.config, "SIGNING_KEY", new_pem.decode())
    monkeypatch.setitem(
        app.config, "SIGNING_KEYS_RETIRED", [credentials.public_pem(old_ring.signing)]
    )
    second = services.issue(_complete("cert.second"), now=clock.now())
    ring = services.key_ring()
    assert ring.kid != old_ring.kid and set(ring.public) == {ring.kid, old_ring.kid}
    for certificate in (first, second):
        assert credentials.verify(certificate.credential, ring, now=clock.now())
    document = app.test_client().get("/.well-known/jwks.json").get_json()
    assert {key["kid"] for key in document["keys"]} == {ring.kid, old_ring.kid}
    # Forget the retired key and the old credential no longer verifies.
    monkeypatch.setitem(app.config, "SIGNING_KEYS_RETIRED", [])
    with pytest.raises(credentials.CredentialError) as error:
        credentials.verify(first.credential, services.key_ring(), now=clock.now())
    assert error.value.reason == "unknown-key"


def test_without_a_signing_key_nothing_is_issued(app, frozen_clock, monkeypatch):
    enrolment = _complete()
    monkeypatch.setitem(app.config, "ENV", "production")
    monkeypatch.setitem(app.config, "SIGNING_KEY", None)
    from lms.errors import Invalid

    with pytest.raises(Invalid, match="no signing key"):
        services.issue(enrolment, now=clock.now())


def test_the_cli_verifies_a_credential_file_offline(app, runner, frozen_clock, tmp_path):
    certificate = services.issue(_complete(), now=clock.now())
    holder = db.session.get(Enrolment, certificate.enrolment_id).user
    db.session.commit()
    client = app.test_client()
    sign_in(client, holder)
    download = client.get(f"/certificates/{certificate.serial}.jwt")
    assert download.mimetype == "application/jwt"
    token_file = tmp_path / "certificate.jwt"
    token_file.write_bytes(download.data)
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(client.get("/.well-known/jwks.json").get_json()))
    checked = runner.invoke(
        args=["lms", "certificates", "verify", str(token_file), "--jwks", str(jwks_file),
              "--json"]
    )  # fmt: skip
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["status"] == "valid"
    token_file.write_text(_tampered(download.data.decode()))
    tampered = runner.invoke(args=["lms", "certificates", "verify", str(token_file)])
    assert tampered.exit_code == 1 and "not valid (signature)" in tampered.stderr
    services.revoke(certificate, reason="Wrong person", by=None, now=clock.now())
    db.session.commit()
    assert certificate.status is CertificateStatus.REVOKED
    revoked = runner.invoke(args=["lms", "certificates", "verify", download.data.decode()])
    assert revoked.exit_code == 1 and "is revoked" in revoked.stderr


def test_scores_are_evidence_only_where_the_learner_agreed(app, frozen_clock):
    enrolment = _complete()
    holder = db.session.get(Enrolment, enrolment.id).user
    db.session.commit()
    client = app.test_client()
    sign_in(client, holder)
    page = client.get("/account").get_data(as_text=True)
    assert "Scores left out" in page
    agreed = client.post("/account/certificate-scores", data={"share": "1"}, follow_redirects=True)
    assert "will show your scores" in agreed.get_data(as_text=True)
    db.session.expire_all()
    assert holder.share_scores is True
    certificate = services.issue(db.session.get(Enrolment, enrolment.id), now=clock.now())
    claims = credentials.verify(certificate.credential, services.key_ring(), now=clock.now())
    (evidence,) = claims["vc"]["evidence"]
    assert evidence["description"].startswith("Pre-test 0.0%, post-test 66.67%")
    client.post("/account/certificate-scores", data={"share": "0"})
    db.session.expire_all()
    assert holder.share_scores is False
