"""People pages: scoping by country, forms with clear errors, duplicates, roles, merges."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role, Sex, User
from lms.audit import AuditEvent
from lms.extensions import db
from tests.factories import make_agency, make_unit, make_user


@pytest.fixture
def kg_coordinator():
    return make_user(
        "coord.kg", roles=[Role.COORDINATOR], coordinator_country="KG", country_code="KG"
    )


@pytest.fixture
def admin():
    return make_user("admin.one", roles=[Role.ADMIN], full_name="Admin One")


def test_coordinator_lists_only_people_of_their_country(client, login, kg_coordinator):
    make_user("kg.one", full_name="Айбек Жумабаев", country_code="KG")
    make_user("kz.one", full_name="Ерлан Нурпеисов", country_code="KZ")
    login(kg_coordinator)
    html = client.get("/people/").get_data(as_text=True)
    assert "Айбек Жумабаев" in html
    assert "Ерлан Нурпеисов" not in html
    # Filtering by another country shows nothing rather than leaking.
    html = client.get("/people/?country=KZ").get_data(as_text=True)
    assert "Ерлан Нурпеисов" not in html
    assert "No one matches these filters." in html


def test_people_list_filters(client, login, admin):
    make_user("m.karimov", full_name="Мухаммад Каримов", country_code="UZ")
    make_user("n.yusupova", full_name="Nodira Yusupova", country_code="UZ", roles=[Role.MENTOR])
    gone = make_user("gone.user", full_name="Gone User", country_code="UZ")
    gone.is_active = False
    db.session.flush()
    login(admin)
    # A Latin search finds a Cyrillic name through the name key.
    html = client.get("/people/?q=Muhammad+Karimov").get_data(as_text=True)
    assert "Мухаммад Каримов" in html
    assert "Nodira" not in html
    html = client.get("/people/?role=mentor").get_data(as_text=True)
    assert "Nodira Yusupova" in html
    assert "Каримов" not in html
    assert "Gone User" not in client.get("/people/").get_data(as_text=True)
    assert "Gone User" in client.get("/people/?status=inactive").get_data(as_text=True)
    # Junk in the query string is ignored, never an error.
    assert client.get("/people/?page=abc&role=king&status=zzz&country=%%").status_code == 200


def test_people_list_query_count_is_fixed(client, login, admin, count_queries):
    counts = []
    for batch in range(2):
        agency = make_agency("KG", f"Agency {batch}")
        for n in range(20):
            make_user(f"p{batch}-{n}", country_code="KG", unit_id=make_unit(agency).id)
        db.session.flush()
        login(admin)
        with count_queries() as log:
            response = client.get("/people/")
        assert response.status_code == 200
        counts.append(log.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 6, counts


def test_people_list_paginates(client, login, admin):
    for n in range(55):
        make_user(f"page{n:02d}", full_name=f"Person {n:02d}", country_code="KG")
    login(admin)
    first = client.get("/people/?country=KG").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "Person 49" in first
    assert "Person 50" not in first
    second = client.get("/people/?country=KG&page=2").get_data(as_text=True)
    assert "Person 54" in second
    assert 'rel="prev"' in second


def test_coordinator_creates_a_learner_in_their_country(client, login, kg_coordinator):
    unit = make_unit(make_agency("KG", "МВД"), "ОПТЛ")
    login(kg_coordinator)
    page = client.get("/people/new").get_data(as_text=True)
    # Only their country is offered, and only the learner role.
    assert '<option value="KG">Kyrgyzstan</option>' in page
    assert 'value="KZ"' not in page
    assert 'value="admin"' not in page
    response = client.post(
        "/people/new",
        data={
            "username": "nurgul.o",
            "full_name": "Нургуль Осмонова",
            "sex": "female",
            "country": "KG",
            "agency_id": str(unit.agency_id),
            "unit_id": str(unit.id),
            "role": "learner",
        },
    )
    assert response.status_code == 302
    person = db.session.scalar(sa.select(User).where(User.username == "nurgul.o"))
    assert person.unit_id == unit.id
    assert person.sex is Sex.FEMALE
    assert person.roles == {Role.LEARNER}


def test_coordinator_cannot_create_in_another_country_or_other_roles(client, login, kg_coordinator):
    login(kg_coordinator)
    data = {"username": "x.kz", "full_name": "X", "sex": "male", "country": "KZ", "role": "learner"}
    response = client.post("/people/new", data=data)
    assert response.status_code == 422
    data = {**data, "country": "KG", "role": "admin"}
    response = client.post("/people/new", data=data)
    assert response.status_code == 422
    assert db.session.scalar(sa.select(User).where(User.username == "x.kz")) is None


def test_new_person_form_errors_keep_what_was_typed(client, login, admin):
    make_user("taken.name")
    login(admin)
    response = client.post(
        "/people/new",
        data={
            "username": "Taken.Name",
            "full_name": "Асель Бекова",
            "sex": "female",
            "country": "KG",
            "role": "learner",
            "email": "nope",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This is not an e-mail address." in html or "The username taken.name is taken." in html
    assert 'value="Асель Бекова"' in html
    assert "Please correct the errors below." in html


def test_duplicates_must_be_confirmed(client, login, admin):
    existing = make_user("m.karimov", full_name="Мухаммад Каримов", country_code="UZ")
    login(admin)
    data = {"username": "muhammad.k", "full_name": "Muhammad Karimov", "sex": "male",
            "country": "UZ", "role": "learner"}  # fmt: skip
    response = client.post("/people/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Possible duplicates" in html
    assert f'href="/people/{existing.id}"' in html
    assert "confirm this is a different person" in html
    response = client.post("/people/new", data={**data, "confirm_not_duplicate": "y"})
    assert response.status_code == 302


def test_person_page_shows_history_roles_and_duplicates(client, login, admin):
    unit = make_unit(make_agency("UZ", "IIV"), "Boshqarma")
    person = make_user("uz.one", full_name="Мухаммад Каримов", unit_id=unit.id, sex=Sex.MALE)
    make_user("uz.two", full_name="Muhammed Karimov", country_code="UZ")
    login(admin)
    html = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert "Boshqarma" in html
    assert "Learner" in html
    assert "Possible duplicates" in html
    assert "Muhammed Karimov" in html
    assert "Merge into another record" in html


def test_coordinator_edits_learners_of_their_country_only(client, login, kg_coordinator):
    learner = make_user("kg.learner", country_code="KG")
    mentor = make_user("kg.mentor", country_code="KG", roles=[Role.MENTOR])
    login(kg_coordinator)
    response = client.post(
        f"/people/{learner.id}/edit",
        data={"full_name": "Новое Имя", "sex": "male", "position": "Инспектор"},
    )
    assert response.status_code == 302
    db.session.refresh(learner)
    assert learner.full_name == "Новое Имя"
    assert client.get(f"/people/{mentor.id}/edit").status_code == 403
    assert client.get(f"/people/{mentor.id}").status_code == 200  # may view, not edit


def test_edit_with_bad_values_is_a_form_error(client, login, admin):
    person = make_user(country_code="KG")
    login(admin)
    response = client.post(f"/people/{person.id}/edit", data={"full_name": "", "sex": "female"})
    assert response.status_code == 422
    response = client.post(
        f"/people/{person.id}/edit", data={"full_name": "Ok", "sex": "alien", "locale": "x y"}
    )
    assert response.status_code == 422


def test_transfer_through_the_page(client, login, kg_coordinator):
    old_unit = make_unit(make_agency("KG", "A"), "Old")
    new_unit = make_unit(make_agency("KG", "B"), "New")
    kz_agency = make_agency("KZ", "C")
    person = make_user(country_code="KG", unit_id=old_unit.id)
    login(kg_coordinator)
    response = client.post(
        f"/people/{person.id}/transfer",
        data={"agency_id": str(new_unit.agency_id), "unit_id": str(new_unit.id)},
    )
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.unit_id == new_unit.id
    # Moving a person into a country they do not coordinate is refused.
    response = client.post(f"/people/{person.id}/transfer", data={"agency_id": str(kz_agency.id)})
    assert response.status_code == 404
    db.session.refresh(person)
    assert person.agency_id == new_unit.agency_id


def test_admin_grants_and_revokes_roles(client, login, admin):
    person = make_user(country_code="KG")
    login(admin)
    client.post(f"/people/{person.id}/grants", data={"role": "coordinator", "country": "KG"})
    db.session.refresh(person)
    db.session.expire(person, ["grants"])
    assert person.coordinated_countries == {"KG"}
    grant = next(g for g in person.grants if g.role is Role.COORDINATOR)
    response = client.post(f"/people/{person.id}/grants", data={"role": "mentor", "country": "KG"})
    assert "Only coordinators are scoped to a country." in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    client.post(f"/people/{person.id}/grants/{grant.id}/revoke")
    db.session.expire_all()
    assert Role.COORDINATOR not in db.session.get(User, person.id).roles


def test_revoking_another_persons_grant_through_this_url_is_404(client, login, admin):
    a, b = make_user(), make_user()
    login(admin)
    assert client.post(f"/people/{a.id}/grants/{b.grants[0].id}/revoke").status_code == 404


def test_deactivate_and_reactivate(client, login, kg_coordinator):
    person = make_user(country_code="KG")
    login(kg_coordinator)
    client.post(f"/people/{person.id}/deactivate")
    db.session.refresh(person)
    assert not person.is_active
    client.post(f"/people/{person.id}/activate")
    db.session.refresh(person)
    assert person.is_active


def test_merge_through_the_page(client, login, admin):
    source = make_user("dup.a", full_name="Muhammad Karimov", country_code="UZ")
    target = make_user("dup.b", full_name="Мухаммад Каримов", country_code="UZ")
    login(admin)
    assert client.post(f"/people/{source.id}/merge", data={"target_id": "abc"}).status_code == 302
    assert (
        client.post(f"/people/{source.id}/merge", data={"target_id": "999999"}).status_code == 302
    )
    response = client.post(f"/people/{source.id}/merge", data={"target_id": str(target.id)})
    assert response.headers["Location"] == f"/people/{target.id}"
    db.session.refresh(source)
    assert source.merged_into_id == target.id
    html = client.get(f"/people/{source.id}").get_data(as_text=True)
    assert "This record was merged into" in html


def test_actions_are_audited_with_the_actor_and_address(client, login, admin):
    person = make_user(country_code="KG")
    login(admin)
    client.post(f"/people/{person.id}/deactivate", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "user.deactivate")
    ).one()
    assert (event.actor_id, event.object_id, event.ip) == (admin.id, str(person.id), "10.9.8.7")
    html = client.get("/audit?action=user.deac").get_data(as_text=True)
    assert "user.deactivate" in html
    assert "10.9.8.7" in html
    html = client.get(f"/audit?user={admin.username}").get_data(as_text=True)
    assert "user.deactivate" in html


def test_people_list_sorts_by_its_headers(client, login, admin):
    for username, name in (("b.user", "Bakyt"), ("a.user", "Zarina"), ("c.user", "Aibek")):
        make_user(username, full_name=name, country_code="KG")
    login(admin)
    html = client.get("/people/?country=KG").get_data(as_text=True)
    assert html.index("Aibek") < html.index("Bakyt") < html.index("Zarina")
    assert 'aria-sort="ascending"' in html
    html = client.get("/people/?country=KG&sort=-username").get_data(as_text=True)
    assert html.index("c.user") < html.index("b.user") < html.index("a.user")
    assert client.get("/people/?sort=password_hash").status_code == 200  # unknown: by name
