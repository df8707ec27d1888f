"""Who may do what: the only place that decides access.

Every view declares its audience with one of the decorators below (:func:`public`,
:func:`signed_in`, :func:`roles_required`); ``create_app`` refuses to start when a route
has no declaration, so no page is ever reachable by accident. Object-level checks
(``can_*(user, obj)``) and scoped query filters join this module as the domains land.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort
from flask_login import current_user

from lms.accounts.models import Role, User
from lms.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])

#: Attribute set on a view function by the access decorators; read by route checks and tests.
ACCESS_ATTR = "lms_access"
PUBLIC = "public"
SIGNED_IN = "signed-in"


def public(view: F) -> F:
    """Anyone, signed in or not, may use this route."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def signed_in(view: F) -> F:
    """Any signed-in user may use this route; others are sent to sign in."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    setattr(wrapper, ACCESS_ATTR, SIGNED_IN)
    return wrapper  # type: ignore[return-value]


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Only signed-in users holding one of ``roles`` may use this route; others get 403."""
    if not roles:
        raise ValueError("roles_required needs at least one role")

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, frozenset(roles))
        return wrapper  # type: ignore[return-value]

    return decorator


def access_of(view: Callable[..., Any]) -> str | frozenset[Role] | None:
    """The declared audience of a view function, or None when it declares none."""
    return getattr(view, ACCESS_ATTR, None)


def undeclared_endpoints(app: Flask) -> list[str]:
    """Endpoints whose view declares no audience (Flask's own static route excepted)."""
    return sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if access_of(view) is None and endpoint != "static" and not endpoint.endswith(".static")
    )


def may_access(user: User | Any, view: Callable[..., Any]) -> bool:
    """Would ``user`` (a User or the anonymous user) pass the view's declaration?"""
    access = access_of(view)
    if access == PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if access == SIGNED_IN:
        return True
    if isinstance(access, frozenset):
        return user.has_role(*access)
    return False


def authorize(allowed: bool) -> None:
    """Stop the request with 403 unless ``allowed`` (the result of a ``can_*`` policy)."""
    if not allowed:
        abort(403)
