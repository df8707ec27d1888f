"""People services: placement, transfers with history, grants, duplicates, merges, audit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms import permissions
from lms.accounts import services
from lms.accounts.models import Country, Role, Sex, UnitAssignment, User
from lms.audit import AuditEvent
from lms.errors import Conflict, Invalid
from lms.extensions import db
from tests.factories import make_agency, make_unit, make_user


def _events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_countries_are_seeded_with_the_programme_countries_flagged(app):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Country)) == 249
    flagged = db.session.scalars(sa.select(Country.code).where(Country.is_beneficiary)).all()
    assert sorted(flagged) == ["AF", "IQ", "KG", "KZ", "PK", "TJ", "UZ"]


def test_create_user_places_the_person_and_records_history(app, frozen_clock):
    unit = make_unit(make_agency("TJ", "ВКД"), "Шуъба")
    user = make_user(
        "farhod", full_name="Фарҳод Раҳимов", full_name_latin="Farhod Rahimov",
        unit_id=unit.id, sex=Sex.MALE, position="Муфаттиш",
    )  # fmt: skip
    assert (user.country_code, user.agency_id, user.unit_id) == ("TJ", unit.agency_id, unit.id)
    assert [(a.unit_id, a.started_at, a.ended_at) for a in user.assignments] == [
        (unit.id, frozen_clock.now(), None)
    ]
    assert user.name_key == " frkd rkmv "
    event = _events("user.create")[-1]
    assert (event.object_type, event.object_id, event.country_code) == ("user", str(user.id), "TJ")
    assert event.details == {"roles": ["learner"]}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"country_code": "XX"}, "country"),
        ({"agency_id": 999999}, "agency_id"),
        ({"unit_id": 999999}, "unit_id"),
        ({"email": "not-an-email"}, "email"),
        ({"locale": "Russian please"}, "locale"),
        ({"sex": "unknown"}, "sex"),
    ],
)
def test_create_user_explains_bad_values(app, kwargs, field):
    with pytest.raises(Invalid) as error:
        make_user(**kwargs)
    assert error.value.field == field


def test_agency_and_country_must_agree(app):
    agency = make_agency("KZ")
    with pytest.raises(Invalid, match="another country"):
        make_user(country_code="KG", agency_id=agency.id)
    other_unit = make_unit(make_agency("KZ"))
    with pytest.raises(Invalid, match="another agency"):
        make_user(agency_id=agency.id, unit_id=other_unit.id)


def test_transfer_keeps_where_they_served(app, frozen_clock):
    first = make_unit(make_agency("KG", "МВД"), "ОПТЛ")
    second_agency = make_agency("KZ", "МВД РК")
    user = make_user(unit_id=first.id, position="Следователь")
    started = frozen_clock.now()
    frozen_clock.advance(days=400)
    moved = services.transfer_user(
        user, agency_id=second_agency.id, unit_id=None, position="Старший следователь",
        actor=None, now=frozen_clock.now(),
    )  # fmt: skip
    assert moved is not None
    assert (user.country_code, user.agency_id, user.unit_id) == ("KZ", second_agency.id, None)
    history = db.session.scalars(
        sa.select(UnitAssignment)
        .where(UnitAssignment.user_id == user.id)
        .order_by(UnitAssignment.id)
    ).all()
    assert [(h.unit_id, h.position, h.started_at, h.ended_at) for h in history] == [
        (first.id, "Следователь", started, frozen_clock.now()),
        (None, "Старший следователь", frozen_clock.now(), None),
    ]
    assert _events("user.transfer")[-1].details["before"]["country"] == "KG"
    again = services.transfer_user(
        user, agency_id=second_agency.id, unit_id=None, position=None, actor=None,
        now=frozen_clock.now(),
    )  # fmt: skip
    assert again is None


def test_grants_are_scoped_dated_and_audited(app, frozen_clock):
    admin = make_user("the.admin", roles=[Role.ADMIN])
    user = make_user("dinara")
    grant = services.grant_role(
        user, Role.COORDINATOR, country_code="kg", actor=admin, now=frozen_clock.now()
    )
    assert user.roles == {Role.LEARNER, Role.COORDINATOR}
    assert user.coordinated_countries == {"KG"}
    with pytest.raises(Conflict):
        services.grant_role(
            user, Role.COORDINATOR, country_code="KG", actor=admin, now=frozen_clock.now()
        )
    with pytest.raises(Invalid, match="Only coordinators"):
        services.grant_role(
            user, Role.MENTOR, country_code="KG", actor=admin, now=frozen_clock.now()
        )
    services.grant_role(user, Role.COORDINATOR, actor=admin, now=frozen_clock.now())
    assert user.coordinated_countries is None  # a grant without a country covers all
    frozen_clock.advance(days=1)
    services.revoke_grant(grant, actor=admin, now=frozen_clock.now())
    assert grant.revoked_at == frozen_clock.now()
    assert grant.revoked_by_id == admin.id
    with pytest.raises(Conflict):
        services.revoke_grant(grant, actor=admin, now=frozen_clock.now())
    assert [e.details["role"] for e in _events("grant.create")] == ["coordinator", "coordinator"]
    assert _events("grant.revoke")[-1].actor_id == admin.id


def test_country_scope_is_enforced_by_the_database(app):
    user = make_user()
    db.session.execute(sa.text("SAVEPOINT before_bad_grant"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text(
                "INSERT INTO role_grant (user_id, role, country_code, granted_at) "
                "VALUES (:u, 'mentor', 'KG', CURRENT_TIMESTAMP)"
            ),
            {"u": user.id},
        )
    db.session.execute(sa.text("ROLLBACK TO SAVEPOINT before_bad_grant"))


def test_admins_cannot_remove_their_own_admin_role_or_deactivate_themselves(app, frozen_clock):
    admin = make_user(roles=[Role.ADMIN])
    with pytest.raises(Conflict):
        services.revoke_grant(admin.grants[0], actor=admin, now=frozen_clock.now())
    with pytest.raises(Conflict):
        services.set_active(admin, False, actor=admin, now=frozen_clock.now())


def test_possible_duplicates_across_scripts_sex_and_scope(app):
    kg = make_user("m.karimov.kg", full_name="Мухаммад Каримов", country_code="KG", sex=Sex.MALE)
    uz = make_user("m.karimov.uz", full_name="Muhammed Karimov", country_code="UZ")
    make_user("d.karimov", full_name="Dilshod Karimov", country_code="UZ")
    woman = make_user("n.yusupova", full_name="Nodira Yusupova", sex=Sex.FEMALE)
    found = services.possible_duplicates("Mohammad Karimov")
    assert {u.id for u in found} == {kg.id, uz.id}
    assert services.possible_duplicates("Mohammad Karimov", exclude_id=kg.id) == [uz]
    coordinator = make_user(roles=[Role.COORDINATOR], coordinator_country="KG", country_code="KG")
    scoped = services.possible_duplicates(
        "Mohammad Karimov", scope=permissions.visible_users(coordinator)
    )
    assert scoped == [kg]
    assert services.possible_duplicates("Nodir Yusupov", sex=Sex.MALE) == []
    assert services.possible_duplicates("Nodir Yusupov", sex=Sex.UNDISCLOSED) == [woman]


def test_possible_duplicates_costs_the_same_queries_whatever_the_data(app, count_queries):
    counts = []
    for batch in range(2):
        for n in range(30):
            make_user(f"karimov{batch}-{n}", full_name="Karimov Dilshod")
        db.session.flush()
        with count_queries() as log:
            found = services.possible_duplicates("Dilshod Karimov", "Каримов")
        counts.append(log.count)
        assert len(found) == 30 * (batch + 1)
    # One query for the candidates, one for their roles (loaded together).
    assert counts == [2, 2]


def test_merge_moves_history_and_grants_and_closes_the_source(app, frozen_clock):
    admin = make_user(roles=[Role.ADMIN])
    unit = make_unit(make_agency("UZ"))
    source = make_user(
        "dup.one", full_name="Muhammad Karimov", unit_id=unit.id, roles=[Role.LEARNER, Role.MENTOR]
    )
    target = make_user("dup.two", full_name="Мухаммад Каримов", country_code="UZ")
    result = services.merge_users(source, target, actor=admin, now=frozen_clock.now())
    assert result.moved == {
        "unit_assignments": 1,
        "role_grants": 1,
        "enrolments": 0,
        "cohort_trainer_places": 0,
    }
    assert target.roles == {Role.LEARNER, Role.MENTOR}
    assert [a.unit_id for a in db.session.scalars(
        sa.select(UnitAssignment).where(UnitAssignment.user_id == target.id)
    )] == [unit.id]  # fmt: skip
    assert source.merged_into_id == target.id
    assert not source.is_active
    assert source.roles == set()
    assert services.authenticate("dup.one", "correct horse battery staple") is None
    event = _events("user.merge")[-1]
    assert event.details == {"merged_id": source.id, "moved": result.moved}
    with pytest.raises(Conflict):
        services.merge_users(source, target, actor=admin, now=frozen_clock.now())
    with pytest.raises(Conflict):
        services.merge_users(target, target, actor=admin, now=frozen_clock.now())
    with pytest.raises(Conflict, match="cannot be reactivated"):
        services.set_active(source, True, actor=admin, now=frozen_clock.now())


def test_merge_handlers_of_other_domains_run(app, frozen_clock, monkeypatch):
    calls = []

    def move_enrolments(source: User, target: User):
        calls.append((source.id, target.id))
        return {"enrolments": 3}

    monkeypatch.setattr(services, "MERGE_HANDLERS", [])
    services.register_merge_handler(move_enrolments)
    services.register_merge_handler(move_enrolments)  # registering twice runs it once
    a, b = make_user(), make_user()
    result = services.merge_users(a, b, actor=None, now=frozen_clock.now())
    assert calls == [(a.id, b.id)]
    assert result.moved["enrolments"] == 3


def test_update_user_changes_profile_and_recomputes_the_key(app, frozen_clock):
    user = make_user(full_name="Ali Raza")
    changed = services.update_user(
        user, {"full_name": " علی رضا ", "full_name_latin": "Ali Raza", "email": ""},
        actor=None, now=frozen_clock.now(),
    )  # fmt: skip
    assert changed == ["full_name", "full_name_latin"]
    assert user.full_name == "علی رضا"
    assert user.name_key == " _l rz "
    with pytest.raises(Invalid):
        services.update_user(user, {"username": "x"}, actor=None, now=frozen_clock.now())
    with pytest.raises(Invalid):
        services.update_user(user, {"full_name": "  "}, actor=None, now=frozen_clock.now())
