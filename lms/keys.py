"""New keys for a deployment, printed as lines of an environment file.

``python -m lms.keys >> /etc/lms/env`` runs without any configuration, unlike the
``flask`` commands, which need a configured app (in production the app refuses to start
without the keys this prints).
"""

from __future__ import annotations

import argparse
import secrets
import sys

from cryptography.fernet import Fernet

from lms.crypto import new_private_pem

#: The settings this prints, in order, with what each protects.
KEYS = {
    "LMS_SECRET_KEY": "signs sessions and forms",
    "LMS_ENCRYPTION_KEY": "encrypts two-factor secrets at rest",
    "LMS_MENTORING_KEY": "seals mentoring texts at rest",
    "LMS_SIGNING_KEY": "signs certificate credentials (Ed25519, PEM on one line)",
}


def new_keys() -> dict[str, str]:
    """A fresh value for each of ``KEYS``."""
    pem = new_private_pem().decode("ascii").strip()
    return {
        "LMS_SECRET_KEY": secrets.token_urlsafe(48),
        "LMS_ENCRYPTION_KEY": secrets.token_urlsafe(48),
        "LMS_MENTORING_KEY": Fernet.generate_key().decode("ascii"),
        # One line, so that the value survives both `set -a; . env` and systemd's
        # EnvironmentFile; the app unfolds the \n.
        "LMS_SIGNING_KEY": pem.replace("\n", "\\n"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lms.keys",
        description="Print new keys for a deployment as environment-file lines. Every app "
        "host and the worker need the same values; keep a copy apart from the backups.",
    )
    parser.add_argument(
        "--only",
        choices=sorted(KEYS),
        action="append",
        help="print only this setting (may be repeated)",
    )
    args = parser.parse_args(argv)
    values = new_keys()
    for name in KEYS:
        if args.only and name not in args.only:
            continue
        # Single quotes: the shell and systemd both keep the value as written.
        sys.stdout.write(f"# {KEYS[name]}\n{name}='{values[name]}'\n")
    return 0


if __name__ == "__main__":  # pragma: no cover - the command line
    raise SystemExit(main())
