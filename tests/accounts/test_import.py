"""Bulk import of people from Moodle-style CSV files: rows whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms import clock
from lms.accounts import csvfile, importing, security
from lms.accounts.models import Agency, Role, Sex, User
from lms.extensions import db
from tests.factories import make_agency, make_unit, make_user

MOODLE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "moodle"


def _import(data: bytes | str, *, actor=None, dry_run=False, update=False, app=None):
    from flask import current_app

    raw = data.encode() if isinstance(data, str) else data
    countries = None
    if actor is not None and not actor.has_role(Role.ADMIN):
        countries = actor.coordinated_countries
    return importing.import_users(
        csvfile.read_table(raw),
        actor=actor,
        allowed_countries=countries,
        may_grant_roles=actor is None or actor.has_role(Role.ADMIN),
        update=update,
        dry_run=dry_run,
        settings=security.Settings.from_config(current_app.config),
        now=clock.now(),
    )


def _user(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_moodles_upload_users_sample_imports(app):
    report = _import((MOODLE / "upload_users.csv").read_bytes())
    assert [(r.line, r.username, r.action) for r in report.rows] == [
        (2, "jonest", "create"),
        (3, "reznor", "create"),
    ]
    jones = _user("jonest")
    assert (jones.full_name, jones.given_name, jones.family_name, jones.email) == (
        "Tom Jones", "Tom", "Jones", "jonest@example.com",
    )  # fmt: skip
    # Moodle's sample passwords are too weak for our rules: an activation code instead.
    assert jones.password_hash is None
    assert all(r.activation for r in report.rows)
    assert "the password was not accepted" in report.rows[0].messages[0]
    assert len(report.codes) == 2
    assert report.enrolment_columns == ["course1", "group1"]


def test_moodles_minimal_example_imports(app):
    report = _import((MOODLE / "example.csv").read_bytes())
    assert report.count("create") == 3
    assert _user("student2").full_name == "Student Two"


def test_semicolons_bom_and_our_columns(app):
    data = "\ufeffUsername;FirstName;LastName;Country;Institution;Department;Sex;Position;Role\n"
    data += "kg.aibek;Айбек;Жумабаев;kg;МВД КР;Отдел по противодействию торговле людьми;ж;"
    data += "Следователь;learner\n"
    report = _import(data)
    assert report.count("create") == 1, report.summary()
    aibek = _user("kg.aibek")
    assert (aibek.country_code, aibek.sex, aibek.position) == ("KG", Sex.FEMALE, "Следователь")
    assert aibek.unit.name == "Отдел по противодействию торговле людьми"
    assert report.created_agencies == ["KG: МВД КР"]
    assert report.created_units == ["KG: МВД КР — Отдел по противодействию торговле людьми"]


def test_agencies_and_units_are_matched_within_the_country(app):
    make_agency("PK", "وفاقی تحقیقاتی ادارہ", name_latin="Federal Investigation Agency")
    latin = _import(
        "username,firstname,lastname,country,institution\n"
        "pk1,Ali,Raza,PK,federal investigation agency\n"
    )
    assert latin.created_agencies == []
    agency = make_agency("KG", "Генеральная прокуратура")
    unit = make_unit(agency, "Отдел надзора")
    make_agency("KZ", "Генеральная прокуратура")
    report = _import(
        "username,firstname,lastname,country,institution,department\n"
        "p1,Эрлан,Садыров,KG,ГЕНЕРАЛЬНАЯ ПРОКУРАТУРА,отдел надзора\n"
    )
    assert report.created_agencies == [] and report.created_units == []
    assert _user("p1").unit_id == unit.id


BROKEN = (
    "username,firstname,lastname,country,sex,role,email\n"
    "ok.one,Нургуль,Осмонова,KG,female,learner,\n"  # 2
    "bad.sex,Талант,Мамытов,KG,maybe,learner,\n"  # 3
    "bad.role,Чолпон,Бекова,KG,female,king,\n"  # 4
    "bad.country,Jasur,Toshmatov,XX,male,learner,\n"  # 5
    "ok.one,Copy,Person,KG,male,learner,\n"  # 6
    "taken,Taken,Name,KG,male,learner,\n"  # 7
    "bad.mail,Saule,Mukasheva,KZ,female,learner,not-an-address\n"  # 8
    "ok.two,Ерлан,Нурпеисов,KZ,male,learner,,extra\n"  # 9
    ",Nobody,Here,KG,male,learner,\n"  # 10
    "ok.three,Farhod,Rahimov,TJ,m,learner,\n"  # 11
)


def test_broken_rows_are_reported_by_line_and_the_rest_imported(app):
    make_user("taken", country_code="KG")
    report = _import(BROKEN)
    outcome = {r.line: (r.action, " ".join(r.messages)) for r in report.rows}
    assert outcome[2][0] == "create" and outcome[11][0] == "create"
    assert outcome[3] == (
        "error",
        "invalid sex value 'maybe': use female, male, other or undisclosed",
    )
    assert outcome[4][0] == "error" and "unknown role 'king'" in outcome[4][1]
    assert outcome[5][0] == "error" and "unknown country code 'XX'" in outcome[5][1]
    assert outcome[6] == ("error", "the username repeats line 2")
    assert outcome[7][0] == "exists"
    assert outcome[8] == ("error", "This is not an e-mail address.")
    assert outcome[9][0] == "error" and "more cells than the header" in outcome[9][1]
    assert outcome[10] == ("error", "the username is empty")
    for refused in ("bad.sex", "bad.role", "bad.country", "bad.mail", "ok.two"):
        assert _user(refused) is None
    assert _user("ok.three").sex is Sex.MALE


def test_a_refused_row_leaves_no_agency_behind(app):
    report = _import(
        "username,firstname,lastname,country,institution,sex\n"
        "r1,Ali,Raza,PK,Federal Investigation Agency,alien\n"
        "r2,Ayesha,Bibi,PK,Federal Investigation Agency,female\n"
    )
    assert [r.action for r in report.rows] == ["error", "create"]
    agencies = db.session.scalars(sa.select(Agency).where(Agency.country_code == "PK")).all()
    assert [a.name for a in agencies] == ["Federal Investigation Agency"]
    assert report.created_agencies == ["PK: Federal Investigation Agency"]


def test_a_dry_run_writes_nothing_and_reports_the_same(app):
    data = BROKEN.replace("taken,", "taken2,")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    dry = _import(data, dry_run=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) == 0
    assert dry.codes == []
    real = _import(data)
    assert [(r.line, r.action) for r in dry.rows] == [(r.line, r.action) for r in real.rows]


def test_possible_duplicates_are_flagged(app):
    make_user("m.karimov", full_name="Мухаммад Каримов", country_code="UZ", sex=Sex.MALE)
    report = _import("username,firstname,lastname,country\nm.k2,Muhammad,Karimov,UZ\n")
    row = report.rows[0]
    assert row.action == "create"
    assert row.duplicates == ["m.karimov"]
    assert "possibly the same person as: m.karimov" in row.messages


def test_update_mode_changes_existing_people(app):
    old_unit = make_unit(make_agency("KG", "МВД"), "Старый отдел")
    make_user("kg.one", full_name="Old Name", unit_id=old_unit.id)
    report = _import(
        "username,firstname,lastname,country,institution,department,position\n"
        "kg.one,Нурлан,Асанов,KG,МВД,Новый отдел,Старший следователь\n",
        update=True,
    )
    assert report.rows[0].action == "update", report.summary()
    person = _user("kg.one")
    assert person.full_name == "Нурлан Асанов"
    assert person.unit.name == "Новый отдел"
    assert len(person.assignments) == 2


def test_a_coordinator_imports_learners_of_their_country_only(app):
    coordinator = make_user(roles=[Role.COORDINATOR], coordinator_country="KG", country_code="KG")
    report = _import(
        "username,firstname,lastname,country,role\n"
        "c1,Айбек,Жумабаев,KG,learner\n"
        "c2,Ерлан,Нурпеисов,KZ,learner\n"
        "c3,Чолпон,Бекова,KG,mentor\n"
        "c4,Асель,Бекова,,learner\n",
        actor=coordinator,
    )
    assert [r.action for r in report.rows] == ["create", "error", "error", "error"]
    assert "you cannot add people in KZ" in report.rows[1].messages
    assert "you may only add learners" in report.rows[2].messages[0]
    assert "the country is required" in report.rows[3].messages


def test_good_passwords_in_the_file_are_kept(app, client):
    report = _import(
        "username,password,firstname,lastname\nwith.pw,snow leopards of the pamir,A,B\n"
    )
    assert report.rows[0].activation is False
    assert report.codes == []
    response = client.post(
        "/login", data={"username": "with.pw", "password": "snow leopards of the pamir"}
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (
            "username;firstname;lastname\n".encode("cp1251") + "Айбек;Айбек;Ж\n".encode("cp1251"),
            "not UTF-8",
            2,
        ),
        (b"", "empty", 1),
        (b"username\nx\n", "fewer than two columns", 1),
        (b"username,firstname,lastname,shoe_size\n", "unknown column 'shoe_size'", 1),
        (b"username,Username,firstname,lastname\n", "appears twice", 1),
        (b"firstname,lastname,email\n", "required column 'username'", 1),
        (b"username,email\nx,y\n", "'firstname' and 'lastname'", 1),
        (b"username,firstname\x00,lastname\n", "binary", None),
    ],
)
def test_files_refused_whole(data, message, line):
    with pytest.raises(csvfile.FileRefused) as refused:
        csvfile.read_table(data)
    assert message in refused.value.message
    assert refused.value.line == line


def test_moodle_windows_1252_file_is_refused():
    data = (MOODLE / "questions_encoding_windows-1252.gift.txt").read_bytes()
    with pytest.raises(csvfile.FileRefused, match="not UTF-8"):
        csvfile.read_table(b"username,firstname,lastname\n" + data)


# --- Command line ----------------------------------------------------------------------------


def test_cli_import_reports_lines_and_exit_codes(runner, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(
        "username,firstname,lastname,country\ncli.one,Айбек,Жумабаев,KG\n", encoding="utf-8"
    )
    result = runner.invoke(args=["lms", "users", "import", str(good), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["errors"], summary["activation_codes"]) == (1, 0, 1)

    broken = tmp_path / "broken.csv"
    broken.write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(args=["lms", "users", "import", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:3: error: invalid sex value 'maybe'" in result.stderr
    assert "Traceback" not in result.output
    assert _user("ok.one") is not None  # the valid rows stand

    dry = tmp_path / "dry.csv"
    dry.write_text("username,firstname,lastname\ndry.one,A,B\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "users", "import", str(dry), "--dry-run"])
    assert result.exit_code == 0
    assert "would import: 1 created" in result.output
    assert _user("dry.one") is None


def test_cli_refuses_a_bad_file_with_its_line(runner, tmp_path):
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("username,firstname,lastname\nx,Jos\xe9,Y\n".encode("latin-1"))
    result = runner.invoke(args=["lms", "users", "import", str(bad), "--json"])
    assert result.exit_code == 1
    assert f"error: {bad}:2: the file is not UTF-8 text" in result.stderr
    assert json.loads(result.stdout)["ok"] is False
    missing = runner.invoke(args=["lms", "users", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2


def test_cli_writes_printable_slips(runner, tmp_path):
    source = tmp_path / "cohort.csv"
    source.write_text("username,firstname,lastname\nslip.one,Нургуль,Осмонова\n", encoding="utf-8")
    slips = tmp_path / "slips.html"
    result = runner.invoke(args=["lms", "users", "import", str(source), "--slips", str(slips)])
    assert result.exit_code == 0, result.output
    html = slips.read_text(encoding="utf-8")
    assert "Нургуль Осмонова" in html and "slip.one" in html
    assert "<style>" in html and ".slip {" in html


# --- Web ---------------------------------------------------------------------------------------


def _upload(client, data: bytes, name="cohort.csv", **extra):
    import io

    return client.post(
        "/people/import",
        data={"file": (io.BytesIO(data), name), **extra},
        content_type="multipart/form-data",
    )


def test_upload_preview_confirm_and_slips(client, login):
    coordinator = make_user(roles=[Role.COORDINATOR], coordinator_country="KG", country_code="KG")
    login(coordinator)
    response = _upload(
        client,
        "username,firstname,lastname,country,sex\n"
        "kg.web1,Айбек,Жумабаев,KG,male\n"
        "kg.web2,Ерлан,Нурпеисов,KZ,male\n".encode(),
    )
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check the import" in preview
    assert "you cannot add people in KZ" in preview
    assert _user("kg.web1") is None  # a preview writes nothing
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    done = client.post(f"/people/import/{batch_id}/confirm")
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    assert html.count('class="slip"') == 1 and "kg.web1" in html
    assert _user("kg.web1").country_code == "KG"
    again = client.post(f"/people/import/{batch_id}/confirm")
    assert again.headers["Location"] == "/people/"
    assert _user("kg.web2") is None


def test_a_bad_upload_is_a_form_error(client, login):
    login(make_user(roles=[Role.ADMIN]))
    response = _upload(client, "username;firstname\n".encode("utf-16"))
    assert response.status_code == 422
    assert "not UTF-8" in response.get_data(as_text=True)
    response = client.post("/people/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a CSV file." in response.get_data(as_text=True)


def test_someone_elses_batch_is_404(app, client, login):
    admin = make_user(roles=[Role.ADMIN])
    login(admin)
    location = _upload(client, b"username,firstname,lastname\nzz,Z,Z\n").headers["Location"]
    other = app.test_client()
    from tests.factories import sign_in

    sign_in(other, make_user(roles=[Role.ADMIN]))
    assert other.get(location).status_code == 404
    assert other.post(location + "/confirm").status_code == 404
