"""Question banks in the database: versions, idempotent imports, exact exports, pages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms import clock
from lms.accounts.models import Role
from lms.assessments import services
from lms.assessments.models import Question, QuestionBank, QuestionVersion
from lms.assessments.questions import FormatError
from lms.extensions import db
from tests.factories import make_user

MOODLE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "moodle"
DATA = Path(__file__).resolve().parents[1] / "data" / "assessments"


def _import(data: bytes, bank="b", fmt="gift", **kwargs):
    parsed = services.read_bank_file(data, fmt, source="test")
    return services.import_bank(parsed, bank_name=bank, now=clock.now(), **kwargs)


def _versions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(QuestionVersion))


def test_moodle_sample_imports_and_reimports_without_writing(app):
    data = (MOODLE / "questions.gift.txt").read_bytes()
    first = _import(data, "moodle")
    assert (first.created, first.updated, first.unchanged) == (9, 0, 0)
    again = _import(data, "moodle")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9)
    assert _versions() == 9


def test_export_import_export_is_byte_stable(app):
    for name in ("questions.gift.txt", "questions_in_category.gift.txt"):
        _import((MOODLE / name).read_bytes(), f"src-{name}")
        exported = services.export_gift(services.get_bank(f"src-{name}"))
        _import(exported.encode(), f"copy-{name}")
        assert services.export_gift(services.get_bank(f"copy-{name}")) == exported
        # And the questions themselves are the same.
        assert [
            services.gift.normalise_question(q) for q in services.gift.read_gift(exported).questions
        ] == [
            services.gift.normalise_question(q)
            for q in services.gift.read_gift((MOODLE / name).read_bytes()).questions
        ]


def test_changed_content_adds_a_version_and_keeps_the_old_one(app):
    _import(b"// [id:q1]\n::Q::Two and two make four.{T}\n")
    report = _import(b"// [id:q1]\n::Q::Two and two make five.{F}\n")
    assert (report.created, report.updated) == (0, 1)
    question = db.session.scalars(sa.select(Question)).one()
    assert question.current_version == 2
    texts = [v.content["text"] for v in question.versions]
    assert texts == ["Two and two make four.", "Two and two make five."]
    exported = services.export_gift(question.bank)
    assert "five" in exported and "four" not in exported


def test_questions_without_ids_are_matched_by_name(app):
    _import(b"::A::First?{T}\n\n::A::Second?{F}\n\n::B::Third?{T}\n")
    report = _import(b"::A::First, edited?{T}\n\n::A::Second?{F}\n\n::B::Third?{T}\n")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)


def test_a_repeated_id_refuses_the_file(app):
    with pytest.raises(FormatError) as refused:
        services.read_bank_file(b"// [id:x]\n::A::One?{T}\n\n// [id:x]\n::B::Two?{T}\n", "gift")
    assert refused.value.problems[0].line == 5
    assert "unique within a bank" in refused.value.problems[0].message


def test_html_in_questions_is_sanitised_once_for_display(app):
    _import(b'::X::[html]<p onclick="steal()">Hi<script>alert(1)</script></p>{T}\n')
    version = db.session.scalars(sa.select(QuestionVersion)).one()
    assert version.text_html == "<p>Hi</p>"
    assert "onclick" in version.content["text"]  # the source is kept, for exact export


def test_content_check_and_sync(app):
    folders = [DATA]
    assert services.check_content(folders) == []
    first = services.sync_content(folders, now=clock.now())
    assert first == {"created": 2, "updated": 0, "unchanged": 0, "retired": 0, "banks": 1}
    assert services.sync_content(folders, now=clock.now())["unchanged"] == 2
    bank = services.get_bank("course-demo/pretest")
    assert bank.origin == "content"
    tags = db.session.scalars(sa.select(QuestionVersion.tags)).all()
    assert ["module-1", "lo-1"] in tags


def test_sync_retires_questions_gone_from_the_file(app, tmp_path):
    folder = tmp_path / "banks"
    folder.mkdir()
    (folder / "b.gift").write_text("// [id:a]\n::A::One?{T}\n\n// [id:b]\n::B::Two?{T}\n")
    services.sync_content([folder], now=clock.now())
    (folder / "b.gift").write_text("// [id:a]\n::A::One?{T}\n")
    assert services.sync_content([folder], now=clock.now())["retired"] == 1
    assert "Two" not in services.export_gift(services.get_bank("b"))


def test_content_check_reports_file_and_line(app, tmp_path):
    (tmp_path / "broken.gift").write_text("::A::Fine?{T}\n\n::B::Broken {=a ~b\n")
    problems = services.check_content([tmp_path])
    assert problems and problems[0].startswith(f"{tmp_path / 'broken.gift'}:3: ")


# --- Command line ----------------------------------------------------------------------------


def test_cli_import_export_and_refusals(runner, tmp_path):
    result = runner.invoke(
        args=[
            "lms",
            "questions",
            "import",
            str(MOODLE / "questions.gift.txt"),
            "--bank",
            "m",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "bank": "m",
        "imported": 9,
        "created": 9,
        "updated": 0,
        "unchanged": 0,
        "retired": 0,
    }
    out = tmp_path / "m.gift"
    assert (
        runner.invoke(args=["lms", "questions", "export", "--bank", "m", "-o", str(out)]).exit_code
        == 0
    )
    assert out.read_text(encoding="utf-8").count("::") >= 18
    bad = MOODLE / "questions_encoding_windows-1252.gift.txt"
    refused = runner.invoke(args=["lms", "questions", "import", str(bad), "--json"])
    assert refused.exit_code == 1
    assert f"{bad}:15: the file is not UTF-8 text" in refused.stderr
    assert json.loads(refused.stdout)["lines"][0]["line"] == 15
    aiken = runner.invoke(
        args=["lms", "questions", "import", str(MOODLE / "aiken_errors.txt"), "--format", "aiken"]
    )
    assert aiken.exit_code == 1
    lines = [row.split("aiken_errors.txt:")[1].split(":")[0] for row in aiken.stderr.splitlines()]
    assert lines == ["3", "5", "7", "18"]
    missing = runner.invoke(args=["lms", "questions", "export", "--bank", "nope"])
    assert missing.exit_code == 1
    listed = runner.invoke(args=["lms", "questions", "list", "--json"])
    assert json.loads(listed.stdout)["banks"] == [{"bank": "m", "origin": "upload", "questions": 9}]


def test_cli_content_commands(runner):
    check = runner.invoke(args=["lms", "content", "check", "--json"])
    assert check.exit_code == 0, check.output
    sync = runner.invoke(args=["lms", "content", "sync", "--json"])
    assert json.loads(sync.stdout)["questions"]["created"] == 2
    again = json.loads(runner.invoke(args=["lms", "content", "sync", "--json"]).stdout)
    assert again["questions"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "retired": 0,
        "banks": 1,
    }


# --- Pages -----------------------------------------------------------------------------------


def _upload(client, data: bytes, **fields):
    return client.post(
        "/questions/upload",
        data={"file": (io.BytesIO(data), fields.pop("name", "bank.gift")), **fields},
        content_type="multipart/form-data",
    )


def test_upload_preview_and_confirm(client, login):
    login(make_user(roles=[Role.COORDINATOR], coordinator_country="KG", country_code="KG"))
    response = _upload(
        client, (MOODLE / "questions.gift.txt").read_bytes(), format="gift", bank="Moodle sample"
    )
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check the questions" in preview and "Which is the best animal?" in preview
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionBank)) == 0
    upload_id = int(response.headers["Location"].rsplit("/", 1)[1])
    done = client.post(f"/questions/upload/{upload_id}/confirm")
    assert done.status_code == 302
    bank_page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "9 questions" in bank_page
    exported = client.get(done.headers["Location"] + "/export.gift")
    assert exported.headers["Content-Disposition"] == 'attachment; filename="Moodle sample.gift"'
    assert exported.get_data(as_text=True) == services.export_gift(
        services.get_bank("Moodle sample")
    )
    assert (
        client.post(f"/questions/upload/{upload_id}/confirm").headers["Location"] == "/questions/"
    )


def test_a_bad_file_shows_every_problem_with_its_line(client, login):
    login(make_user(roles=[Role.ADMIN]))
    response = _upload(
        client, (MOODLE / "aiken_errors.txt").read_bytes(), format="aiken", name="x.txt"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for line in (3, 5, 7, 18):
        assert f"line {line}:" in html
    assert "nothing was imported" in html


def test_bank_pages_need_a_manager(client, login):
    login(make_user(roles=[Role.MENTOR]))
    assert client.get("/questions/").status_code == 403
