"""Import-only index of every model, so Alembic's autogenerate and the shell see them all."""

from lms.accounts.models import Role, RoleGrant, User

__all__ = ["Role", "RoleGrant", "User"]
