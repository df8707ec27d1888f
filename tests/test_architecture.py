"""ARCHITECTURE.md §3 rule 6, enforced: dependencies point one way.

Layers inside a domain: models and pure cores ← services ← permissions ← forms, views,
API, CLI and demo seeders. Between domains: accounts ← courses ← enrolments ←
assessments ← certificates; mentoring reads accounts, courses, enrolments and
assessments; evaluation reads enrolments; reports, API and site pages may read all.
Nothing imports reports, views, the API or the CLI, but the places that register them
(and the API, whose report endpoints compute through lms.reports, not its views).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lms.config import REPO_ROOT

PACKAGE = REPO_ROOT / "lms"

DOMAIN_MAY_READ: dict[str, set[str]] = {
    "accounts": set(),
    "courses": {"accounts"},
    "enrolments": {"accounts", "courses"},
    "assessments": {"accounts", "courses", "enrolments"},
    "certificates": {"accounts", "courses", "enrolments", "assessments"},
    "mentoring": {"accounts", "courses", "enrolments", "assessments"},
    "evaluation": {"accounts", "courses", "enrolments"},
}
#: Top-level packages that may read every domain (they are read by nobody).
READERS_OF_ALL = {"reports", "api", "main", "privacy"}
#: Shared foundation modules: they may not import any domain.
CORE = {
    "db", "errors", "clock", "extensions", "config", "markdown", "audit", "demo", "clitools",
    "forms", "crypto", "mail", "jobs", "pagination", "urls", "i18n", "tables", "backup", "keys",
}  # fmt: skip
#: Modules of a domain that nobody else may import (the top layer).
TOP_LAYER = {"views", "forms", "cli", "demo", "api"}
#: Lower layers inside a domain and what they may not import from their own domain.
FORBIDDEN_WITHIN = {
    "models": {"services", "forms", "views", "cli", "demo", "api"},
    "services": {"forms", "views", "cli", "demo", "api"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "lms" or name.startswith("lms.")}


def _modules() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _parts(module: str) -> tuple[str | None, str | None]:
    """(top-level part under lms, sub-module) of a module name."""
    parts = module.split(".")
    return (parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)


def _violations() -> list[str]:
    modules = _modules()
    known = set(modules)
    problems = []
    for importer, imported_names in modules.items():
        top, sub = _parts(importer)
        for name in imported_names:
            # `from lms.x import y` records lms.x.y; keep only names that are modules.
            if name not in known:
                continue
            itop, isub = _parts(name)
            if itop is None or (itop == top and isub == sub):
                continue
            rule = None
            if importer in {"lms", "lms.cli", "lms.models"}:
                continue  # the places that assemble the app, the CLI and the model index
            if top in CORE and itop not in CORE:
                rule = "core modules import no domain"
            elif itop in {"reports", "api", "cli", "main", "privacy"} and itop != top:
                # The API is the reports' JSON face: it computes through them (not views).
                if not (itop == "reports" and top == "api" and isub != "views"):
                    rule = f"nothing imports lms.{itop}"
            elif isub in TOP_LAYER and itop != top:
                rule = f"another domain's {isub} is off limits"
            elif isub in TOP_LAYER and sub not in TOP_LAYER and sub is not None:
                rule = f"{sub} may not import {isub}"
            elif top in DOMAIN_MAY_READ and itop in DOMAIN_MAY_READ and itop != top:
                if itop not in DOMAIN_MAY_READ[top]:
                    rule = f"{top} may not read {itop}"
            elif itop == "permissions" and sub in {"models", "services"}:
                rule = "models and services receive their scope; they do not decide access"
            if rule is None and itop == top and isub in FORBIDDEN_WITHIN.get(sub or "", set()):
                rule = f"{sub} may not import {isub}"
            if rule is not None:
                problems.append(f"{importer} imports {name}: {rule}")
    return problems


def test_dependencies_point_one_way():
    assert _violations() == []


def test_every_domain_is_known():
    """A new domain package must be placed in the dependency order above."""
    for path in PACKAGE.iterdir():
        if path.is_dir() and (path / "__init__.py").exists():
            assert path.name in DOMAIN_MAY_READ or path.name in READERS_OF_ALL, path.name


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("lms/accounts/models.py", "from lms.accounts import services\n"),
        ("lms/accounts/services.py", "from lms.permissions import authorize\n"),
        ("lms/db.py", "from lms.accounts.models import User\n"),
        ("lms/accounts/services.py", "from lms.main import views\n"),
    ],
)
def test_the_checker_catches_violations(tmp_path, monkeypatch, source, expected):
    """The rules fire on a copy of the package with one bad import added."""
    import shutil

    import tests.test_architecture as arch

    copy = tmp_path / "lms"
    shutil.copytree(
        PACKAGE,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "translations", "templates", "static"),
    )
    target = tmp_path / source
    target.write_text(target.read_text(encoding="utf-8") + expected, encoding="utf-8")
    monkeypatch.setattr(arch, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(arch, "PACKAGE", copy)
    assert arch._violations(), f"{source} + {expected!r} went unnoticed"
