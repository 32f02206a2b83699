from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app import clock
from app.auth.decorators import role_required
from app.errors import error_page
from app.exams import bp
from app.examforms.blueprints import BlueprintSpec
from app.exams.forms import ConfirmForm, ExamDateForm, StartForm
from app.params import small_digits
from app.services import exams as exam_service
from app.services import review as review_service


def _json_wanted() -> bool:
    return request.is_json or request.path.endswith("/answers")


@bp.errorhandler(CSRFError)
def csrf_error(error):
    if _json_wanted():
        return jsonify(error="csrf", message="The page's security token is missing or expired. "
                                             "Reload the page; your saved answers are kept."), 400
    return error_page(400, "csrf")


@bp.errorhandler(404)
def not_found(error):
    if _json_wanted():
        return jsonify(error="not-found", message="There is no such exam attempt."), 404
    return error_page(404)


@bp.before_app_request
def close_on_dashboard():
    """An exam left open past its deadline is closed and graded when its owner next looks at progress."""
    if request.endpoint == "progress.dashboard" and current_user.is_authenticated:
        exam_service.close_expired(current_user.id)
        review_service.sync_case_codes(current_user.id)  # so "Reviews due" counts codes missed in cases


@bp.app_context_processor
def review_helpers():
    def reviews_due() -> int:
        return review_service.due_count(current_user.id) if current_user.is_authenticated else 0
    return {"reviews_due": reviews_due}


def _own(attempt_id: int):
    attempt = exam_service.get_own_attempt(attempt_id, current_user.id)
    if attempt is None:
        abort(404)  # someone else's attempt looks exactly like no attempt
    return attempt


@bp.route("/")
@role_required()
def index():
    attempts = exam_service.attempts_for(current_user.id)
    review_service.sync_case_codes(current_user.id)
    rows = [(row, BlueprintSpec.from_data(row.data), exam_service.plan_for(row)) for row in exam_service.blueprints()]
    open_by_slug = {a.blueprint_slug: a for a in attempts if not a.finished}
    return render_template("exams/index.html", rows=rows, attempts=attempts, open_by_slug=open_by_slug,
                           titles=exam_service.domain_titles(), form=StartForm(),
                           review=review_service.summary(current_user.id))


@bp.route("/<slug>/start", methods=["POST"])
@role_required()
def start(slug):
    row = exam_service.get_blueprint(slug) or abort(404)
    form = StartForm()
    if not form.validate_on_submit() or not form.token.data:
        abort(400)
    exam_service.close_expired(current_user.id)
    for attempt in exam_service.attempts_for(current_user.id):
        if attempt.blueprint_slug == slug and not attempt.finished and attempt.start_token != form.token.data:
            flash("You already have this exam open: it resumes where you left it.", "info")
            return redirect(url_for("exams.attempt", attempt_id=attempt.id))
    attempt = exam_service.start_attempt(current_user.id, row, form.token.data)
    return redirect(url_for("exams.attempt", attempt_id=attempt.id))


def _render_item(attempt, position, status=200, message=None):
    answers = exam_service.answers_of(attempt)
    bp = BlueprintSpec.from_data(attempt.blueprint)
    return render_template(
        "exams/attempt.html", attempt=attempt, bp=bp, item=exam_service.item_view(attempt, position, answers),
        answers=answers, remaining=exam_service.remaining_seconds(attempt), total=len(attempt.items),
        message=message, form=ConfirmForm(),
    ), status


@bp.route("/attempts/<int:attempt_id>")
@role_required()
def attempt(attempt_id):
    attempt = _own(attempt_id)
    if attempt.finished:
        return redirect(url_for("exams.results", attempt_id=attempt.id))
    n = request.args.get("item", type=int)
    if n is None:  # resuming: open the first item without an answer
        answers = exam_service.answers_of(attempt)
        n = next((i + 1 for i in range(len(attempt.items)) if answers.get(i) is None or answers[i].choice is None), 1)
    position = min(max(n, 1), len(attempt.items)) - 1
    return _render_item(attempt, position)


def _choice(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError("no such choice") from None


@bp.route("/attempts/<int:attempt_id>/items/<int:n>", methods=["POST"])
@role_required()
def save_item(attempt_id, n):
    """The no-JavaScript path: save this item, then go where the pressed button says."""
    attempt = _own(attempt_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    position = n - 1
    if not 0 <= position < len(attempt.items):
        abort(404)
    try:
        exam_service.save_answer(attempt, position, _choice(request.form.get("choice")),
                                 flagged=request.form.get("flagged") == "1")
    except exam_service.ExamClosed as exc:
        return render_template("exams/closed.html", attempt=attempt, message=str(exc)), 409
    except ValueError:
        abort(400)
    go = request.form.get("go", "next")
    if go == "submit":
        return redirect(url_for("exams.submit", attempt_id=attempt.id))
    target = {"next": n + 1, "prev": n - 1, "stay": n}.get(go)
    if target is None:
        target = int(go) if small_digits(go, 4) else n
    target = min(max(target, 1), len(attempt.items))
    return redirect(url_for("exams.attempt", attempt_id=attempt.id, item=target))


@bp.route("/attempts/<int:attempt_id>/answers", methods=["POST"])
@role_required()
def autosave(attempt_id):
    """Autosave from exams.js: JSON in, JSON out (never the key or a rationale)."""
    attempt = _own(attempt_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("position"), int):
        return jsonify(error="bad-request", message="Send {position, choice, flagged}."), 400
    try:
        choice = data.get("choice")
        if choice is not None and (isinstance(choice, bool) or not isinstance(choice, int)):
            raise ValueError("no such choice")
        flagged = data.get("flagged")
        exam_service.save_answer(attempt, data["position"], choice,
                                 flagged=None if flagged is None else bool(flagged))
    except exam_service.ExamClosed as exc:
        return jsonify(error="closed", message=str(exc),
                       results=url_for("exams.results", attempt_id=attempt.id)), 409
    except ValueError as exc:
        return jsonify(error="bad-request", message=str(exc)), 400
    answers = exam_service.answers_of(attempt)
    return jsonify(saved=True, position=data["position"], remaining=exam_service.remaining_seconds(attempt),
                   answered=sum(1 for a in answers.values() if a.choice is not None),
                   flagged=sum(1 for a in answers.values() if a.flagged))


@bp.route("/attempts/<int:attempt_id>/submit", methods=["GET", "POST"])
@role_required()
def submit(attempt_id):
    attempt = _own(attempt_id)
    form = ConfirmForm()
    if attempt.finished:
        return redirect(url_for("exams.results", attempt_id=attempt.id))
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        exam_service.close(attempt, "student")
        return redirect(url_for("exams.results", attempt_id=attempt.id))
    answers = exam_service.answers_of(attempt)
    unanswered = [i + 1 for i in range(len(attempt.items)) if answers.get(i) is None or answers[i].choice is None]
    flagged = [i + 1 for i, a in sorted(answers.items()) if a.flagged]
    return render_template("exams/submit.html", attempt=attempt, form=form, unanswered=unanswered, flagged=flagged,
                           remaining=exam_service.remaining_seconds(attempt), bp=BlueprintSpec.from_data(attempt.blueprint))


@bp.route("/attempts/<int:attempt_id>/results")
@role_required()
def results(attempt_id):
    attempt = _own(attempt_id)
    if not attempt.finished and exam_service.remaining_seconds(attempt) == 0:
        # The page's countdown reached zero and came here: close now rather than wait out the grace.
        exam_service.close(attempt, "timer")
    if not attempt.finished:
        flash("Results appear once the exam is submitted or its time runs out.", "info")
        return redirect(url_for("exams.attempt", attempt_id=attempt.id))
    return render_template("exams/results.html", attempt=attempt, bp=BlueprintSpec.from_data(attempt.blueprint),
                           questions=exam_service.questions_of(attempt), answers=exam_service.answers_of(attempt))


# --------------------------------------------------------------------------- spaced review


@bp.route("/review", methods=["GET"])
@role_required()
def review():
    review_service.sync_case_codes(current_user.id)
    card = review_service.next_card(current_user.id)
    form = ExamDateForm(exam_date=review_service.summary(current_user.id).exam_date)
    return render_template("exams/review.html", card=card, question=review_service.question_for(card) if card else None,
                           summary=review_service.summary(current_user.id), form=form, grade_form=ConfirmForm())


@bp.route("/review/<int:card_id>", methods=["POST"])
@role_required()
def grade_card(card_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    quality = request.form.get("quality", type=int)
    if quality is None or not 0 <= quality <= 5:
        abort(400)
    if review_service.grade_card(current_user.id, card_id, quality) is None:
        abort(404)
    return redirect(url_for("exams.review"))


@bp.route("/review/exam-date", methods=["POST"])
@role_required()
def exam_date():
    form = ExamDateForm()
    if not form.validate_on_submit():
        flash("Enter the exam date as YYYY-MM-DD, or leave it empty.", "error")
        return redirect(url_for("exams.review"))
    if form.exam_date.data is not None and form.exam_date.data <= clock.today():
        flash("The exam date must be after today.", "error")
        return redirect(url_for("exams.review"))
    review_service.set_exam_date(current_user.id, form.exam_date.data)
    flash("Exam date saved: reviews now come due before it." if form.exam_date.data else "Exam date cleared.", "success")
    return redirect(url_for("exams.review"))
