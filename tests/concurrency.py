"""Run one action in many threads at once, each with its own app context and session."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from lms.db import write_intent
from lms.extensions import db


def race(app: Flask, action: Callable[[], object], *, threads: int = 50) -> list[object]:
    """Start ``threads`` threads that wait at a barrier, then each run ``action`` in a
    write transaction and commit; return each outcome (the action's result, or the
    exception it raised, after a rollback)."""
    barrier = threading.Barrier(threads)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                with write_intent():
                    outcome = action()
                    db.session.commit()
            except Exception as error:  # recorded for the test to assert on
                db.session.rollback()
                outcome = error
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=300)
    return outcomes
