from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from lms.accounts import passwords, services
from lms.accounts.models import Role
from lms.accounts.security import check_password_rules
from lms.config import DefaultConfig
from lms.errors import Conflict, Invalid
from lms.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user


def test_create_user_normalises_and_grants_roles(app, frozen_clock):
    user = make_user("  Gulnara.A ", roles=[Role.TRAINER, Role.MENTOR, Role.TRAINER])
    assert user.username == "gulnara.a"
    assert user.roles == {Role.TRAINER, Role.MENTOR}
    assert user.created_at == frozen_clock.now()
    assert user.password_hash.startswith("$argon2id$")
    assert DEFAULT_PASSWORD not in user.password_hash


@pytest.mark.parametrize("username", ["a", "with space", "кириллица", "-leading", "x" * 101, ""])
def test_create_user_refuses_bad_usernames(app, username):
    with pytest.raises(Invalid) as error:
        make_user(username or " ")
    assert error.value.field == "username"


def test_create_user_refuses_a_taken_username_case_insensitively(app):
    make_user("bekzod")
    with pytest.raises(Conflict, match="bekzod is taken"):
        make_user("BEKZOD")


def test_create_user_refuses_an_empty_name(app):
    with pytest.raises(Invalid) as error:
        make_user("no.name", full_name="   ")
    assert error.value.field == "full_name"


LONG_PHRASE = (
    "walnut orchards above the naryn river turn gold in october while shepherds "
    "drive flocks down from jailoo pastures before snow closes passes"
)[:128]


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("tulip rivers", True),
        ("tulip river", False),
        (LONG_PHRASE, True),
        (LONG_PHRASE + "s", False),
    ],
)
def test_password_length_rules(app, password, ok):
    if ok:
        check_password_rules(password)
    else:
        with pytest.raises(Invalid):
            check_password_rules(password)


def test_account_without_password_cannot_sign_in(app):
    make_user("pending", password=None)
    assert services.authenticate("pending", "") is None
    assert services.authenticate("pending", DEFAULT_PASSWORD) is None


def test_authenticate(app):
    user = make_user("saida")
    assert services.authenticate("Saida", DEFAULT_PASSWORD) is user
    assert services.authenticate("saida", DEFAULT_PASSWORD + "x") is None
    assert services.authenticate("unknown", DEFAULT_PASSWORD) is None
    user.is_active = False
    assert services.authenticate("saida", DEFAULT_PASSWORD) is None


def test_outdated_hash_is_upgraded_on_sign_in(app):
    user = make_user("rehash")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=16, parallelism=1).hash(
        DEFAULT_PASSWORD
    )
    db.session.flush()
    old = user.password_hash
    assert services.authenticate("rehash", DEFAULT_PASSWORD) is user
    assert user.password_hash != old
    assert not passwords.needs_rehash(user.password_hash, app.config["PASSWORD_HASH"])


def test_production_hashing_parameters_meet_owasp():
    """argon2id with at least OWASP's minimum (19 MiB, t=2); ours is RFC 9106's t=3, 64 MiB."""
    params = DefaultConfig.PASSWORD_HASH
    assert params == {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
    stored = passwords.hash_password("a production password", params)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify_password(stored, "a production password", params)
    assert not passwords.verify_password(stored, "another password", params)


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$garbage"])
def test_unusable_stored_hashes_never_verify(stored):
    params = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    assert passwords.verify_password(stored, "whatever", params) is False
