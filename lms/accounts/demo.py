"""The accounts part of the demo world: one user per role, with known passwords."""

from __future__ import annotations

from lms.accounts import services
from lms.accounts.models import Role
from lms.demo import DemoWorld

#: Demo people: role → (username, full name). Names in the scripts the users read.
DEMO_PEOPLE = {
    Role.ADMIN: ("demo.admin", "Aigerim Sadykova"),
    Role.COORDINATOR: ("demo.coordinator", "Dilnoza Karimova"),
    Role.MENTOR: ("demo.mentor", "Бахтиёр Назаров"),
    Role.TRAINER: ("demo.trainer", "Гульнара Абдуллаева"),
    Role.LEARNER: ("demo.learner", "Азамат Токтогулов"),
}


def demo_password(role: Role) -> str:
    return f"demo-{role.value}-password"


def seed(world: DemoWorld) -> None:
    """Create the demo users that do not exist yet; leave existing ones untouched."""
    for role, (username, full_name) in DEMO_PEOPLE.items():
        password = demo_password(role)
        world.logins[role.value] = {"username": username, "password": password}
        if services.get_user_by_username(username) is not None:
            world.count("users", created=False)
            continue
        services.create_user(
            username=username, full_name=full_name, password=password, roles=[role], now=world.now
        )
        world.count("users", created=True)
