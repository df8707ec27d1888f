"""Run the app as a separate process for the multi-host tests (tests/test_two_hosts.py).

    python -m tests.hosts serve DATABASE_URL PORT OVERRIDES_JSON
    python -m tests.hosts worker DATABASE_URL OVERRIDES_JSON

Each process builds its own app from the tests' base configuration: nothing is shared
with the test's process but the database and Redis, as between two real app hosts.
"""

from __future__ import annotations

import json
import sys

from werkzeug.serving import make_server

from lms import create_app
from tests.conftest import base_config


def main(argv: list[str]) -> None:
    command, url = argv[0], argv[1]
    if command == "serve":
        port, overrides = int(argv[2]), json.loads(argv[3])
        app = create_app(base_config(url, **overrides))
        make_server("127.0.0.1", port, app, threaded=True).serve_forever()
    elif command == "worker":
        app = create_app(base_config(url, **json.loads(argv[2])))
        result = app.test_cli_runner().invoke(args=["lms", "jobs", "worker", "--burst"])
        sys.stdout.write(result.output)
        sys.exit(result.exit_code)


if __name__ == "__main__":
    main(sys.argv[1:])
