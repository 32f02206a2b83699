from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import role_required
from app.cases import bp
from app.cases.forms import AnswerForm
from app.params import db_int
from app.services import cases as case_service
from app.services.attempts import AssignmentClosed, assignment_for_student

DIFFICULTY = {1: "easy", 2: "medium", 3: "hard"}


@bp.route("/")
@role_required()
def index():
    domain = request.args.get("domain") or None
    difficulty = request.args.get("difficulty", type=db_int)
    rows = case_service.list_cases(current_user.id, domain, difficulty)
    return render_template("cases/index.html", rows=rows, domains=case_service.all_domains(),
                           domain=domain, difficulty=difficulty, difficulty_names=DIFFICULTY)


def _render_case(case, form, parsed=None, status=200, assignment=None, closed=None):
    dx_rows = parsed.diagnosis_rows if parsed else [""] * 6
    px_rows = parsed.procedure_rows if parsed else [{"code": "", "modifiers": "", "units": "1"} for _ in range(4)]
    # Keep at least a few empty rows visible; never fewer than what the student typed.
    while len(dx_rows) > 6 and not dx_rows[-1].strip():
        dx_rows = dx_rows[:-1]
    while len(px_rows) > 4 and not px_rows[-1]["code"]:
        px_rows = px_rows[:-1]
    return render_template(
        "cases/case.html", case=case, form=form, dx_rows=dx_rows, px_rows=px_rows,
        errors=parsed.errors if parsed else {}, difficulty_names=DIFFICULTY,
        history=case_service.history(current_user.id, case.id),
        max_dx=case_service.MAX_DIAGNOSES, max_px=case_service.MAX_PROCEDURES,
        assignment=assignment, closed=closed,
    ), status


@bp.route("/<slug>", methods=["GET", "POST"])
@role_required()
def case(slug):
    case = case_service.get_case(slug) or abort(404)
    form = AnswerForm()
    source = request.args if request.method == "GET" else request.form
    assignment_id = source.get("assignment", type=db_int)
    assignment = assignment_for_student(assignment_id, current_user.id) if assignment_id else None
    if request.method == "GET":
        return _render_case(case, form, assignment=assignment)
    if not form.validate_on_submit() or not form.token.data:
        abort(400)
    parsed = case_service.parse_response(request.form)
    if parsed.errors:
        return _render_case(case, form, parsed, status=422, assignment=assignment)
    try:
        attempt = case_service.submit_attempt(current_user.id, case, parsed.response, form.token.data, assignment_id)
    except AssignmentClosed as exc:
        # Refused on the server whatever the page showed; the student's codes are kept.
        return _render_case(case, form, parsed, status=409, assignment=assignment, closed=str(exc))
    return redirect(url_for("cases.attempt", slug=case.slug, attempt_id=attempt.id))


@bp.route("/<slug>/attempts/<int:attempt_id>")
@role_required()
def attempt(slug, attempt_id):
    attempt = case_service.get_own_attempt(attempt_id, current_user.id)
    if attempt is None or attempt.case.slug != slug:
        abort(404)  # someone else's attempt looks exactly like no attempt
    return render_template("cases/attempt.html", attempt=attempt, case=attempt.case, difficulty_names=DIFFICULTY)
