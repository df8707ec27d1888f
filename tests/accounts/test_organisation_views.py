"""Organisation pages: admins manage, coordinators see their countries only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import Agency, AgencyType, Role, Unit
from lms.extensions import db
from tests.factories import make_agency, make_unit, make_user


@pytest.fixture
def admin():
    return make_user("org.admin", roles=[Role.ADMIN])


def test_admin_adds_an_agency_and_a_unit(client, login, admin):
    login(admin)
    response = client.post(
        "/organisations/kg/agencies/new",
        data={
            "name": "Министерство внутренних дел",
            "name_latin": "Ministry of Internal Affairs",
            "type": "police",
        },
    )
    assert response.status_code == 302
    agency = db.session.scalar(sa.select(Agency).where(Agency.country_code == "KG"))
    assert agency.type is AgencyType.POLICE
    response = client.post(
        f"/agencies/{agency.id}/units/new",
        data={"name": "Отдел по противодействию торговле людьми", "is_specialised": "y"},
    )
    assert response.status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.agency_id == agency.id))
    assert unit.is_specialised
    html = client.get("/organisations/KG").get_data(as_text=True)
    assert "Министерство внутренних дел" in html
    assert "Specialised unit" in html


def test_duplicate_and_empty_names_are_form_errors(client, login, admin):
    agency = make_agency("KG", "Генеральная прокуратура")
    make_unit(agency, "Отдел")
    login(admin)
    response = client.post(
        "/organisations/KG/agencies/new",
        data={"name": "генеральная прокуратура", "type": "prosecution"},
    )
    assert response.status_code == 422
    assert "already has an agency of that name" in response.get_data(as_text=True)
    response = client.post(f"/agencies/{agency.id}/units/new", data={"name": "ОТДЕЛ"})
    assert response.status_code == 422
    assert "already has a unit of that name" in response.get_data(as_text=True)
    response = client.post("/organisations/KG/agencies/new", data={"name": "", "type": "nonsense"})
    assert response.status_code == 422


def test_unknown_country_is_404(client, login, admin):
    login(admin)
    assert client.get("/organisations/XX").status_code == 404
    assert client.get("/organisations/KG1").status_code == 404


def test_edit_agency_and_unit(client, login, admin):
    agency = make_agency("KZ", "Old name")
    unit = make_unit(agency, "Old unit")
    login(admin)
    response = client.post(
        f"/agencies/{agency.id}/edit", data={"name": "New name", "type": "judiciary"}
    )
    assert response.status_code == 302
    response = client.post(f"/units/{unit.id}/edit", data={"name": "New unit"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (agency.name, agency.type, agency.is_active) == ("New name", AgencyType.JUDICIARY, False)
    assert (unit.name, unit.is_active) == ("New unit", False)


def test_coordinator_sees_only_their_countries(client, login):
    make_agency("KG", "Кыргыз агенттиги")
    make_agency("KZ", "Қазақ агенттігі")
    coordinator = make_user(roles=[Role.COORDINATOR], coordinator_country="KG", country_code="KG")
    login(coordinator)
    html = client.get("/organisations/").get_data(as_text=True)
    assert "Kyrgyzstan" in html
    assert "Kazakhstan" not in html
    assert client.get("/organisations/KZ").status_code == 404
    html = client.get("/organisations/KG").get_data(as_text=True)
    assert "Кыргыз агенттиги" in html
    assert "Add an agency" not in html


def test_organisations_page_query_count_is_fixed(client, login, admin, count_queries):
    counts = []
    for code in ("KG", "KZ"):
        for n in range(5):
            make_unit(make_agency(code, f"{code} agency {n}"))
        db.session.flush()
        login(admin)
        with count_queries() as log:
            assert client.get("/organisations/").status_code == 200
        counts.append(log.count)
    assert counts[0] == counts[1]


def test_country_names_follow_the_language(client, login, admin):
    login(admin)
    html = client.get("/organisations/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Киргизия" in html or "Кыргызстан" in html
