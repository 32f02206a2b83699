from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import role_required
from app.content.filenames import clean_upload_name
from app.content.markdown import render_markdown
from app.content.limits import MAX_IMPORT_BYTES, MAX_QUESTIONS, size_text
from app.content.question_types import question_types, type_labels
from app.content.quizfiles import QuizFileErrors
from app.params import db_int
from app.quizzes import bp
from app.quizzes.forms import ActionForm, AudienceForm, ImportForm, QuestionForm, QuizForm, TakeForm
from app.services import quizzes as quiz_service
from app.services.attempts import AssignmentClosed, assignment_for_student
from app.services.quizzes import EDITOR_ROLES, NothingToPublish, SaveConflict, SiteQuizReadOnly


def _own(quiz_id):
    return quiz_service.get_own_quiz(quiz_id, current_user) or abort(404)


def _own_editable(quiz_id):
    """A quiz whose content the web may change (site quizzes are edited in their files)."""
    quiz = _own(quiz_id)
    if quiz.source_path and request.method == "POST":
        flash(str(SiteQuizReadOnly(quiz)), "error")
        abort(redirect(url_for("quizzes.edit", quiz_id=quiz.id)))
    return quiz


def _revision(value) -> int:
    try:
        return db_int(value)
    except (TypeError, ValueError):
        abort(400)


# --- students -----------------------------------------------------------------------------------

@bp.route("/")
@role_required()
def index():
    return render_template("quizzes/index.html", rows=quiz_service.list_published(current_user))


@bp.route("/<int:quiz_id>", methods=["GET", "POST"])
@role_required()
def take(quiz_id):
    found = quiz_service.get_published(quiz_id, current_user) or abort(404)
    quiz, version = found
    form = TakeForm()
    source = request.args if request.method == "GET" else request.form
    assignment_id = source.get("assignment", type=db_int)
    assignment = assignment_for_student(assignment_id, current_user.id) if assignment_id else None
    if request.method == "POST":
        if not form.validate_on_submit() or not form.token.data:
            abort(400)
        # The page named the version it showed: a quiz republished meanwhile is still graded by it.
        shown = quiz_service.version_for_submission(quiz, version, request.form.get("version", type=db_int))
        if shown is None:
            flash("This quiz was changed since you opened it; nothing was graded. Please answer the current version.",
                  "error")
            return render_template("quizzes/take.html", quiz=quiz, version=version, form=TakeForm(formdata=None),
                                   preview=False, **quiz_service.refs_for(version.questions),
                                   history=quiz_service.history(current_user.id, quiz.id)), 409
        answers = quiz_service.parse_answers(shown.questions, request.form)
        try:
            attempt = quiz_service.submit_attempt(current_user.id, quiz, shown, answers, form.token.data, assignment_id)
        except AssignmentClosed as exc:
            flash(f"{exc} Nothing was graded.", "error")
            return render_template("quizzes/take.html", quiz=quiz, version=version, form=form, preview=False,
                                   **quiz_service.refs_for(version.questions), assignment=assignment,
                                   history=quiz_service.history(current_user.id, quiz.id)), 409
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    return render_template("quizzes/take.html", quiz=quiz, version=version, form=form, preview=False,
                           **quiz_service.refs_for(version.questions), assignment=assignment,
                           history=quiz_service.history(current_user.id, quiz.id))


@bp.route("/attempts/<int:attempt_id>")
@role_required()
def attempt(attempt_id):
    attempt = quiz_service.get_own_attempt(attempt_id, current_user.id) or abort(404)
    return render_template("quizzes/attempt.html", **quiz_service.attempt_page(attempt))


# --- instructors --------------------------------------------------------------------------------

@bp.route("/manage")
@role_required(*EDITOR_ROLES)
def manage():
    return render_template("quizzes/manage.html", quizzes=quiz_service.list_own(current_user),
                           latest=quiz_service.latest_version)


@bp.route("/manage/new", methods=["GET", "POST"])
@role_required(*EDITOR_ROLES)
def new():
    form = QuizForm()
    if form.validate_on_submit():
        quiz = quiz_service.create_quiz(current_user.id, form.title.data, form.instructions.data)
        flash("Quiz created. Add its questions below.", "success")
        return redirect(url_for("quizzes.edit", quiz_id=quiz.id))
    return render_template("quizzes/new.html", form=form), 422 if form.errors else 200


def _render_edit(quiz, form, conflict=None, status=200):
    return render_template("quizzes/edit.html", quiz=quiz, version=quiz_service.latest_version(quiz),
                           live=quiz_service.published_version(quiz), form=form, action=ActionForm(),
                           audience=AudienceForm(formdata=None, practice=quiz.practice),
                           conflict=conflict, types=type_labels()), status


@bp.route("/manage/<int:quiz_id>", methods=["GET", "POST"])
@role_required(*EDITOR_ROLES)
def edit(quiz_id):
    quiz = _own_editable(quiz_id)
    version = quiz_service.latest_version(quiz)
    form = QuizForm()
    if request.method == "GET":
        form.title.data, form.instructions.data = version.title, version.instructions
        form.revision.data = quiz.revision
        return _render_edit(quiz, form)
    if not form.validate_on_submit():
        return _render_edit(quiz, form, status=422)
    grown = quiz_service.growth_problem(version, title=form.title.data, instructions=form.instructions.data)
    if grown:
        form.instructions.errors = [*form.instructions.errors, grown]
        return _render_edit(quiz, form, status=422)
    was_published = version.frozen
    try:
        saved = quiz_service.update_settings(quiz, _revision(form.revision.data), current_user.id,
                                             form.title.data, form.instructions.data)
    except SaveConflict as exc:
        form.revision.data = exc.revision
        return _render_edit(quiz, form, conflict=exc.message, status=409)
    _flash_saved(quiz, saved, was_published)
    return redirect(url_for("quizzes.edit", quiz_id=quiz.id))


def _flash_saved(quiz, saved, was_published):
    if was_published and saved.number != quiz.published_number:
        flash(f"Saved as draft version {saved.number}. Students keep taking the published version until "
              f"you publish this one.", "success")
    else:
        flash("Saved.", "success")


#: problem field -> the editor field it is shown on (each type adds its own)
QUESTION_FIELDS = {"prompt": "prompt", "points": "points", "type": "type", "feedback": "feedback",
                   **{k: v for t in question_types() for k, v in t.form_fields.items()}}


@bp.route("/manage/<int:quiz_id>/questions/new", methods=["GET", "POST"], endpoint="new_question")
@bp.route("/manage/<int:quiz_id>/questions/<int:number>", methods=["GET", "POST"])
@role_required(*EDITOR_ROLES)
def question(quiz_id, number=None):
    quiz = _own_editable(quiz_id)
    version = quiz_service.latest_version(quiz)
    index = None if number is None else number - 1
    if index is not None and not 0 <= index < len(version.questions):
        abort(404)
    form = QuestionForm()
    form.case.choices = [("", "—"), *quiz_service.case_choices()]
    form.scenario.choices = [("", "—"), *quiz_service.scenario_choices()]
    if request.method == "GET":
        if index is not None:
            form.fill(version.questions[index])
        else:
            form.type.data = request.args.get("type") if request.args.get("type") in type_labels() else "single"
        form.revision.data = quiz.revision
        return _render_question(quiz, form, number)
    valid = form.validate_on_submit()
    q, problems = form.to_question()
    if valid:
        problems = {**quiz_service.question_errors(q), **problems}
    if valid and not problems:
        questions = list(version.questions)
        if index is None:
            questions.append(q)
        else:
            questions[index] = q
        grown = quiz_service.growth_problem(version, questions=questions)
        if grown:
            problems = {"prompt": grown}
    if not valid or problems:
        return _render_question(quiz, form, number, problems=problems, status=422)
    was_published = version.frozen
    try:
        saved = quiz_service.put_question(quiz, _revision(form.revision.data), current_user.id, q, index)
    except SaveConflict as exc:
        form.revision.data = exc.revision
        return _render_question(quiz, form, number, conflict=exc.message, status=409)
    _flash_saved(quiz, saved, was_published)
    return redirect(url_for("quizzes.edit", quiz_id=quiz.id, _anchor=f"q{number or len(saved.questions)}"))


def _render_question(quiz, form, number, problems=None, conflict=None, status=200):
    problems = problems or {}
    for name, message in problems.items():
        field = QUESTION_FIELDS.get(name)
        if field:
            target = getattr(form, field)
            if message not in target.errors:
                target.errors = [*target.errors, message]
    return render_template("quizzes/question.html", quiz=quiz, form=form, number=number,
                           choice_error=problems.get("choices"), conflict=conflict, types=type_labels()), status


def _action(quiz_id, do):
    quiz = _own(quiz_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        do(quiz, _revision(form.revision.data))
    except SaveConflict as exc:
        flash(f"{exc.saved_by} saved this quiz at {exc.saved_at:%H:%M} UTC; your change was not made. "
              "Check the quiz as it is now and try again.", "error")
    except (NothingToPublish, SiteQuizReadOnly) as exc:
        flash(str(exc), "error")
    return redirect(url_for("quizzes.edit", quiz_id=quiz.id))


@bp.post("/manage/<int:quiz_id>/questions/<int:number>/delete")
@role_required(*EDITOR_ROLES)
def delete_question(quiz_id, number):
    def do(quiz, revision):
        if not 0 < number <= len(quiz_service.latest_version(quiz).questions):
            abort(404)
        quiz_service.delete_question(quiz, revision, current_user.id, number - 1)
        flash(f"Question {number} deleted.", "success")
    return _action(quiz_id, do)


@bp.post("/manage/<int:quiz_id>/questions/<int:number>/move")
@role_required(*EDITOR_ROLES)
def move_question(quiz_id, number):
    delta = -1 if request.form.get("direction") == "up" else 1

    def do(quiz, revision):
        if not 0 < number <= len(quiz_service.latest_version(quiz).questions):
            abort(404)
        quiz_service.move_question(quiz, revision, current_user.id, number - 1, delta)
    return _action(quiz_id, do)


@bp.post("/manage/<int:quiz_id>/publish")
@role_required(*EDITOR_ROLES)
def publish(quiz_id):
    def do(quiz, revision):
        version = quiz_service.publish(quiz, revision, current_user.id)
        flash(f"Version {version.number} is published: students see it now.", "success")
    return _action(quiz_id, do)


@bp.post("/manage/<int:quiz_id>/unpublish")
@role_required(*EDITOR_ROLES)
def unpublish(quiz_id):
    def do(quiz, revision):
        quiz_service.unpublish(quiz, revision, current_user.id)
        flash("Unpublished: students no longer see this quiz (their attempts are kept).", "success")
    return _action(quiz_id, do)


@bp.post("/manage/<int:quiz_id>/audience")
@role_required(*EDITOR_ROLES)
def audience(quiz_id):
    practice = AudienceForm().practice.data

    def do(quiz, revision):
        quiz_service.set_practice(quiz, revision, current_user.id, practice)
        flash("Every signed-in student may take this quiz (site-wide practice)." if practice else
              "Only students of a class you assign this quiz to can see and take it.", "success")
    return _action(quiz_id, do)


@bp.route("/manage/<int:quiz_id>/preview")
@role_required(*EDITOR_ROLES)
def preview(quiz_id):
    quiz = _own(quiz_id)
    version = quiz_service.latest_version(quiz)
    return render_template("quizzes/take.html", quiz=quiz, version=version, form=TakeForm(), preview=True,
                           **quiz_service.refs_for(version.questions), history=[])


@bp.route("/manage/<int:quiz_id>/export.yml")
@role_required(*EDITOR_ROLES)
def export(quiz_id):
    quiz = _own(quiz_id)
    return Response(quiz_service.export_yaml(quiz), mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{quiz.slug}.yml"'})


@bp.route("/manage/import", methods=["GET", "POST"])
@role_required(*EDITOR_ROLES)
def import_file():
    form = ImportForm()
    errors = []
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read(MAX_IMPORT_BYTES + 1)  # one byte past the limit tells a file over it
        if len(content) > MAX_IMPORT_BYTES:  # refused whole, never cut to fit
            form.file.errors = [f"The file is over the {size_text(MAX_IMPORT_BYTES)} import limit; "
                                "nothing was imported."]
            return _render_import(form, [], 413)
        # a file name becomes the title of a GIFT or Aiken quiz: no path, control or format characters, and
        # cut to a title's length (a name is not content, so shortening it loses nothing)
        name = clean_upload_name(upload.filename or "") or "upload"
        try:
            data = quiz_service.parse_upload(content, name, form.format.data or None, (form.title.data or "").strip())
        except QuizFileErrors as exc:
            errors = [str(e) for e in exc.errors]
        else:
            quiz = quiz_service.import_new(data, current_user.id)
            flash(f"Imported {len(data.questions)} question(s) as a draft. Preview it, then publish.", "success")
            return redirect(url_for("quizzes.edit", quiz_id=quiz.id))
    return _render_import(form, errors, 422 if errors or form.errors else 200)


def _render_import(form, errors, status):
    limits = {"size": size_text(MAX_IMPORT_BYTES), "questions": MAX_QUESTIONS}
    return render_template("quizzes/import.html", form=form, errors=errors, limits=limits), status
