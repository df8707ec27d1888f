"""URL converters shared by every blueprint."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter

#: The largest id a database integer column holds (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` bounded to what an id column can hold: a larger number is a 404,
    not a database error (both SQLite and PostgreSQL refuse to compare it)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_param_schema(converter: IdConverter) -> dict[str, Any]:
    """The OpenAPI schema of an id path parameter."""
    return {"type": "integer", "minimum": converter.min, "maximum": converter.max}


def safe_next(target: str | None) -> str | None:
    """Accept only a local path as a redirect target (no scheme, host, ``//`` or ``\\``)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
