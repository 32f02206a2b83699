from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import role_required
from app.lessons import bp
from app.lessons.forms import CheckForm, CompleteForm
from app.params import small_digits
from app.services import lessons as lesson_service


def _user_id():
    return current_user.id if current_user.is_authenticated else None


@bp.route("/")
def index():
    tracks = lesson_service.tracks_with_progress(_user_id())
    return render_template("lessons/index.html", tracks=tracks)


def _render_lesson(lesson, check_result=None, status=200, progress=None):
    prev_lesson, next_lesson = lesson_service.neighbours(lesson)
    if progress is None and current_user.is_authenticated:
        progress = lesson_service.get_progress(current_user.id, lesson)
    return render_template(
        "lessons/lesson.html", lesson=lesson, prev_lesson=prev_lesson, next_lesson=next_lesson,
        progress=progress, result=check_result,
    ), status


@bp.route("/<slug>")
def lesson(slug):
    lesson = lesson_service.get_lesson(slug) or abort(404)
    progress = None
    if current_user.is_authenticated:
        progress = lesson_service.record_view(
            current_user.id, lesson, lesson_service.get_progress(current_user.id, lesson))
    return _render_lesson(lesson, progress=progress)


@bp.route("/<slug>/check", methods=["POST"])
def check(slug):
    lesson = lesson_service.get_lesson(slug) or abort(404)
    form = CheckForm()
    if not form.validate_on_submit():
        abort(400)
    answers = {}
    for i, q in enumerate(lesson.checks):
        raw = request.form.get(f"q{i}")
        answers[i] = int(raw) if raw and small_digits(raw, 3) and int(raw) < len(q["choices"]) else None
    result = lesson_service.grade_check(lesson, answers)
    if current_user.is_authenticated:
        lesson_service.record_check(current_user.id, lesson, result)
    return _render_lesson(lesson, check_result=result)


@bp.route("/<slug>/complete", methods=["POST"])
@role_required()
def complete(slug):
    lesson = lesson_service.get_lesson(slug) or abort(404)
    form = CompleteForm()
    if not form.validate_on_submit():
        abort(400)
    done = form.complete.data != "0"
    lesson_service.mark_complete(current_user.id, lesson, done)
    flash(f"“{lesson.title}” marked complete." if done else f"“{lesson.title}” marked not done.", "success")
    _, next_lesson = lesson_service.neighbours(lesson)
    if done and next_lesson:
        return redirect(url_for("lessons.lesson", slug=next_lesson.slug))
    return redirect(url_for("lessons.index", _anchor=f"track-{lesson.track_slug}"))
