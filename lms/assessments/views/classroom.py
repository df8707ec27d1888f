"""Classroom tests: papers to print, and the answer sheets typed in (or uploaded as CSV) by
the cohort's trainer, checked cell by cell, reviewed, then saved as attempts; a saved row
can be corrected later, each change kept in the audit trail.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from lms import clock
from lms.accounts.models import Role
from lms.assessments import attempts, classroom, qtypes
from lms.assessments.models import Attempt, AttemptSource
from lms.assessments.services import from_content, text_html
from lms.assessments.views import tests_bp as bp
from lms.assessments.views.tests import cohort_to_mark, test_title
from lms.db import writes
from lms.enrolments import cohorts
from lms.enrolments.models import Cohort, Enrolment
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm
from lms.i18n import pick_text
from lms.permissions import roles_required

LETTERS = classroom.LETTERS
Cells = dict[tuple[int, int], str]


def _paper_rows(cohort: Cohort, key: str, form: str | None, language: str) -> list[dict[str, Any]]:
    """The questions of a form in bank order, options in question order (as printed)."""
    course = cohort.course
    spec = attempts.definition(course, key)
    bank = attempts.bank_for(spec["bank"], language if language in course.languages else "")
    rows = []
    for question_row, version in attempts.questions_of(bank, form):
        question = from_content(version.content, category=None)
        rows.append(
            {
                "id": question_row.key,
                "question": question,
                "kind": qtypes.kind_of(question).name,
                "html": text_html(question),
                "key": qtypes.correct_response(question),
            }
        )
    return rows


def _classroom_test(
    cohort_id: int, key: str
) -> tuple[Cohort, dict[str, Any], list[str | None], str | None, str, list[Enrolment]]:
    """The cohort, the test's definition, its forms, the form and language asked for, and
    the participants, each given their order of forms (404 for an unknown test, form or
    language)."""
    cohort = cohort_to_mark(cohort_id)
    course = cohort.course
    try:
        spec = attempts.definition(course, key)
    except DomainError:
        abort(404)
    forms: list[str | None] = spec.get("forms") or [None]
    form = request.values.get("form") or forms[0]
    if form not in forms:
        abort(404)
    language = request.values.get("lang") or course.languages[0]
    if language not in course.languages:
        abort(404)
    people = cohorts.participants(cohort)
    if attempts.assign_form_orders(people):
        db.session.commit()
    return cohort, spec, forms, form, language, people


@bp.route("/cohorts/<int:cohort_id>/tests/<key>/paper")
@roles_required(Role.TRAINER, Role.COORDINATOR, Role.ADMIN)
@writes
def paper(cohort_id: int, key: str) -> ResponseReturnValue:
    """A test paper to print for a classroom (``?answers=1``: the trainer's answer key).

    Opening it gives the participants without one their order of forms (A then B, or B
    then A, alternating), so the cohort page can say who gets which paper.
    """
    cohort, spec, forms, form, language, people = _classroom_test(cohort_id, key)
    course = cohort.course
    try:
        rows = _paper_rows(cohort, key, form, language)
    except DomainError as error:
        flash(error.message, "warning")
        return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))
    context = {
        "cohort": cohort,
        "course_title": pick_text(course.texts, course.languages, language)["title"],
        "key": key,
        "form": form,
        "forms": forms,
        "form_letter": LETTERS[forms.index(form)] if form else "",
        "language": language,
        "rows": rows,
        "letters": LETTERS,
        "answers": request.args.get("answers") == "1",
        "participants": people,
        "time_limit": spec.get("time_limit"),
    }
    with force_locale(language):  # the paper speaks its own language, the page the reader's
        paper_html = render_template("assessments/_paper.html", title=test_title(key), **context)
    return render_template(
        "assessments/paper.html", title=test_title(key), paper_html=paper_html, **context
    )


def _results(people: list[Enrolment], key: str) -> dict[int, Attempt]:
    """Each learner's submitted attempt at the test, by enrolment (one query)."""
    found = db.session.scalars(
        sa.select(Attempt)
        .where(
            Attempt.enrolment_id.in_([e.id for e in people]),
            Attempt.test_key == key,
            Attempt.submitted_at.is_not(None),
        )
        .order_by(Attempt.number)
    )
    return {attempt.enrolment_id: attempt for attempt in found}


def _correcting(results: dict[int, Attempt]) -> int | None:
    """The learner whose saved classroom row is being corrected (``?correct=``), if any;
    404 for anyone else (no result, or a result taken online)."""
    wanted = request.values.get("correct")
    if not wanted:
        return None
    found = results.get(int(wanted)) if wanted.isdigit() else None
    if found is None or found.source is not AttemptSource.CLASSROOM:
        abort(404)
    return found.enrolment_id


def _saved_cells(attempt: Attempt) -> Cells:
    """A saved classroom attempt as the cells that were typed (for correcting it)."""
    return {
        (attempt.enrolment_id, item.position): classroom.write_cell(
            question, item.response or {}, item.fraction
        )
        for item, question in attempts.load_items(attempt)
    }


def _sheet_cells(
    rows: list[dict[str, Any]], people: list[Enrolment], done: set[int]
) -> tuple[Cells, list[str]]:
    """Cells from an uploaded CSV of answers, and what is wrong with the file (each
    problem names its line)."""
    upload = request.files.get("sheet")
    if upload is None or not upload.filename:
        return {}, [_("Choose a CSV file to upload.")]
    try:
        sheet = classroom.read_sheet(upload.read(classroom.SHEET_MAX_BYTES + 1), len(rows))
    except classroom.SheetError as error:
        return {}, [_sheet_message(error)]
    by_username = {e.user.username.lower(): e for e in people}
    cells: Cells = {}
    problems: list[str] = []
    for row in sheet:
        enrolment = by_username.get(row.username.lower())
        if enrolment is None:
            problems.append(
                _(
                    "Line %(line)d: %(username)s does not take this form of the test in this "
                    "cohort.",
                    line=row.line,
                    username=row.username,
                )
            )
        elif enrolment.id in done:
            problems.append(
                _(
                    "Line %(line)d: %(username)s already has a result for this test; "
                    "correct it on the grid.",
                    line=row.line,
                    username=row.username,
                )
            )
        else:
            for position, raw in enumerate(row.cells, start=1):
                cells[(enrolment.id, position)] = raw
    if not sheet:
        problems.append(_("The file has no rows of answers."))
    return cells, problems


def _sheet_message(error: classroom.SheetError) -> str:
    """What is wrong with an uploaded answer file, in the reader's language."""
    p = error.params
    messages = {
        "size": _("The file is larger than 1 MB."),
        "encoding": _("The file is not UTF-8 text: save it from the spreadsheet as CSV UTF-8."),
        "binary": _("This is not a CSV file."),
        "empty": _("The file is empty."),
        "header": _("The first line cannot be read."),
        "column": _("Unknown column “%(column)s”.", column=p.get("column")),
        "twice": _("Column %(column)s appears twice.", column=p.get("column")),
        "username": _("The column “username” is missing."),
        "questions": _(
            "The paper has %(n)d questions: the column of question %(missing)d is missing.",
            n=p.get("n", 0),
            missing=p.get("missing", 0),
        ),
        "rows": _("The file has more than %(max)d rows.", max=p.get("max", 0)),
        "cells": _("This row has more cells than the header."),
        "no-username": _("This row has no username."),
        "repeated": _(
            "%(username)s has a row already, on line %(first)d.",
            username=p.get("username"),
            first=p.get("first", 0),
        ),
        "row": _("This line cannot be read."),
    }
    message = messages.get(error.code, str(error))
    if error.line is None:
        return message
    return _("Line %(line)d: %(message)s", line=error.line, message=message)


def _read_cells(
    rows: list[dict[str, Any]], cells: Cells
) -> tuple[dict[int, dict[int, classroom.Cell]], dict[tuple[int, int], str]]:
    """Every typed cell read through its question: what it says, and what cannot be read."""
    read: dict[int, dict[int, classroom.Cell]] = {}
    errors: dict[tuple[int, int], str] = {}
    for (enrolment_id, position), raw in cells.items():
        try:
            cell = classroom.read_cell(rows[position - 1]["question"], raw)
        except classroom.CellError as error:
            errors[(enrolment_id, position)] = _cell_message(error)
        except qtypes.ResponseError:
            errors[(enrolment_id, position)] = _("This answer could not be read.")
        else:
            read.setdefault(enrolment_id, {})[position] = cell
    return read, errors


@bp.route("/cohorts/<int:cohort_id>/tests/<key>/entry", methods=["GET", "POST"])
@roles_required(Role.TRAINER, Role.COORDINATOR, Role.ADMIN)
@writes
def entry(cohort_id: int, key: str) -> ResponseReturnValue:
    """Type in (or upload) a classroom's answer sheets for one form: a row per learner, a
    cell per question. Everything is checked first; a review shows each learner's score
    before anything is saved. ``?correct=<enrolment>`` reopens one saved row to correct it.
    """
    cohort, spec, forms, form_name, language, people = _classroom_test(cohort_id, key)
    course = cohort.course
    mine = [e for e in people if attempts.form_for(e, key, spec) == form_name]
    results = _results(mine, key)
    correcting = _correcting(results)
    if correcting is None:
        editable = [e for e in mine if e.id not in results]
    else:
        editable = [e for e in mine if e.id == correcting]
    rows = _paper_rows(cohort, key, form_name, language)
    stage, action = "entry", request.form.get("action")
    sheet_problems: list[str] = []
    if request.method == "GET":
        cells = _saved_cells(results[correcting]) if correcting else {}
    elif not ConfirmForm().validate_on_submit():
        abort(400)
    elif action == "upload" and correcting is None:
        cells, sheet_problems = _sheet_cells(rows, mine, set(results))
    else:
        cells = {
            (e.id, position): request.form.get(f"c-{e.id}-{position}", "")[:200]
            for e in editable
            for position in range(1, len(rows) + 1)
        }
    read, errors = _read_cells(rows, cells)
    typed = {e for e, row in read.items() if any(c.response for c in row.values())}
    if request.method == "POST" and not errors and not sheet_problems:
        if action == "confirm":
            saved = _save(
                course, key, form_name, language, editable, read, typed, results, correcting
            )
            if saved is not None:
                flash(saved, "success")
                return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))
        else:
            stage = "review"
    scores = {e: _preview_score(rows, read[e]) for e in typed}
    return render_template(
        "assessments/entry.html",
        cohort=cohort,
        title=test_title(key),
        key=key,
        form_name=form_name,
        forms=forms,
        form_letter=LETTERS[forms.index(form_name)] if form_name else "",
        language=language,
        rows=rows,
        people=mine,
        results=results,
        editable={e.id for e in editable},
        correcting=correcting,
        cells=cells,
        errors=errors,
        sheet_problems=sheet_problems,
        scores=scores,
        stage=stage,
        letters=LETTERS,
        classroom_source=AttemptSource.CLASSROOM,
        form=ConfirmForm(),
    ), (422 if errors or sheet_problems else 200)


def _save(
    course: Any,
    key: str,
    form_name: str | None,
    language: str,
    editable: list[Enrolment],
    read: dict[int, dict[int, classroom.Cell]],
    typed: set[int],
    results: dict[int, Attempt],
    correcting: int | None,
) -> str | None:
    """Save the reviewed rows (or the corrected one); the message to show, or None when a
    service refused (its reason flashed, nothing saved)."""
    now = clock.now()
    try:
        if correcting is not None:
            found = read.get(correcting, {})
            changed = attempts.correct_classroom(
                results[correcting],
                {p: c.response for p, c in found.items() if c.response},
                {p: c.essay_mark for p, c in found.items() if c.essay_mark is not None},
                by=current_user,
                now=now,
            )
            message = ngettext(
                "%(num)d answer was corrected.", "%(num)d answers were corrected.", len(changed)
            )
        else:
            for enrolment in editable:
                if enrolment.id not in typed:
                    continue
                found = read[enrolment.id]
                attempts.enter_classroom(
                    enrolment,
                    course,
                    key,
                    form=form_name,
                    language=language,
                    responses={p: c.response for p, c in found.items()},
                    essay_marks={
                        p: c.essay_mark for p, c in found.items() if c.essay_mark is not None
                    },
                    by=current_user,
                    now=now,
                )
            message = ngettext(
                "The answers of %(num)d learner were saved.",
                "The answers of %(num)d learners were saved.",
                len(typed),
            )
    except DomainError as problem:
        db.session.rollback()
        flash(problem.message, "warning")
        return None
    db.session.commit()
    return message


@bp.route("/cohorts/<int:cohort_id>/tests/<key>/sheet.csv")
@roles_required(Role.TRAINER, Role.COORDINATOR, Role.ADMIN)
@writes
def sheet(cohort_id: int, key: str) -> ResponseReturnValue:
    """A CSV to fill in for one form: the learners still without a result, one column per
    question of the paper."""
    cohort, spec, _forms, form_name, language, people = _classroom_test(cohort_id, key)
    mine = [e for e in people if attempts.form_for(e, key, spec) == form_name]
    results = _results(mine, key)
    questions = len(_paper_rows(cohort, key, form_name, language))
    learners = [(e.user.username, e.user.full_name) for e in mine if e.id not in results]
    name = f"{cohort.id}-{key}-{form_name or 'all'}.csv".replace("/", "-")
    return Response(
        "\ufeff" + classroom.blank_sheet(questions, learners),  # the mark makes Excel read UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _cell_message(error: classroom.CellError) -> str:
    """What is wrong with a typed cell, in the reader's language."""
    p = error.params
    if error.code == "letter":
        return _("“%(char)s” is not an option letter.", char=p["char"])
    if error.code == "range":
        return _("The options go from A to %(last)s.", last=p["last"])
    if error.code == "count":
        return ngettext(
            "Write %(num)d letter, one for each item.",
            "Write %(num)d letters, one for each item.",
            p["n"],
        )
    plain = {
        "one": _("One letter only for this question."),
        "twice": _("A letter is written twice."),
        "truefalse": _("Write T (true) or F (false)."),
        "mark": _("Write the mark in per cent: 0, 25, 50, 75 or 100."),
    }
    return plain.get(error.code, str(error))


def _preview_score(rows: list[dict[str, Any]], cells: dict[int, classroom.Cell]) -> float:
    """The score (per cent) the typed answers would give, for the review step."""
    points = 0.0
    for position, row in enumerate(rows, start=1):
        cell = cells.get(position)
        if cell is None:
            continue
        if cell.essay_mark is not None:
            points += cell.essay_mark
        else:
            points += qtypes.score(row["question"], cell.response).fraction or 0.0
    return round(100.0 * points / len(rows), 1) if rows else 0.0
