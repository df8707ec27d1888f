"""The app as gunicorn serves it in production, plus one page for the benchmarks: the
**floor**, a minimal page through the same server and middleware without a query, to
which every measured page is compared (bench/load.py). Not part of the product."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Blueprint

from lms import create_app
from lms.permissions import public

floor = Blueprint("bench_floor", __name__)


@floor.route("/bench/floor")
@public
def page() -> str:
    return "<!doctype html><title>floor</title><p>floor</p>"


app = create_app()
app.register_blueprint(floor)
