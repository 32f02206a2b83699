from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import role_required
from app.instructor import bp
from app.instructor.forms import AssignmentForm, ClassForm
from app.instructor.render import gradebook_rows
from app import clock
from app.extensions import db
from app.models import User
from app.services import classes as class_service
from app.services.attempt_kinds import KINDS

TEACHERS = ("instructor", "admin")


def _own_class(class_id):
    return class_service.class_for_instructor(class_id, current_user.id) or abort(404)


@bp.route("/classes", methods=["GET", "POST"])
@role_required(*TEACHERS)
def classes():
    form = ClassForm()
    if form.validate_on_submit():
        try:
            classroom = class_service.create_class(current_user.id, form.name.data)
        except class_service.ClassError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(f"Class “{classroom.name}” created. Students join with the code {classroom.join_code}.", "success")
            return redirect(url_for("instructor.class_page", class_id=classroom.id))
    return render_template("instructor/classes.html", form=form, rows=class_service.classes_taught(current_user.id)), \
        (422 if form.errors else 200)


@bp.route("/classes/<int:class_id>", methods=["GET", "POST"])
@role_required(*TEACHERS)
def class_page(class_id):
    classroom = _own_class(class_id)
    form = AssignmentForm()
    form.kind.choices = [(k.name, k.label) for k in KINDS.values()]
    kind = form.kind.data if request.method == "POST" else request.args.get("kind", "case")
    form.ref.choices = [("", "— choose —")] + class_service.assignable_items(
        kind if kind in KINDS else "case", classroom.instructor_id)
    if request.method == "GET":
        form.kind.data = kind
        form.opens_at.data = clock.utcnow().replace(second=0, microsecond=0)
    if form.validate_on_submit():
        try:
            class_service.create_assignment(classroom, form.kind.data, form.ref.data, form.opens_at.data, form.due_at.data)
        except class_service.ClassError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash("Assigned.", "success")
            return redirect(url_for("instructor.class_page", class_id=class_id))
    return render_template("instructor/class.html", classroom=classroom, form=form, kinds=KINDS,
                           students=class_service.roster(class_id), assignments=class_service.assignments_of(class_id)), \
        (422 if form.errors else 200)


@bp.route("/classes/<int:class_id>/gradebook")
@role_required(*TEACHERS)
def gradebook(class_id):
    book = class_service.gradebook(_own_class(class_id), page=request.args.get("page", 1, type=int))
    prefix = url_for("instructor.student_work", assignment_id=0, student_id=0).removesuffix("/0/students/0")
    return render_template("instructor/gradebook.html", book=book, rows=gradebook_rows(book, prefix))


@bp.route("/classes/<int:class_id>/gradebook.csv")
@role_required(*TEACHERS)
def gradebook_csv(class_id):
    classroom = _own_class(class_id)
    body = class_service.gradebook_csv(class_service.gradebook(classroom, page=None))
    filename = "".join(ch if ch.isalnum() else "-" for ch in classroom.name).strip("-") or "class"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="gradebook-{filename}.csv"'})


@bp.route("/assignments/<int:assignment_id>/analysis")
@role_required(*TEACHERS)
def analysis(assignment_id):
    assignment = class_service.assignment_for_instructor(assignment_id, current_user.id) or abort(404)
    kind = KINDS.get(assignment.kind)
    count, stats = kind.analysis(assignment) if kind and kind.analysis else (0, [])
    return render_template("instructor/analysis.html", assignment=assignment, kind=kind, count=count, stats=stats)


@bp.route("/assignments/<int:assignment_id>/students/<int:student_id>")
@role_required(*TEACHERS)
def student_work(assignment_id, student_id):
    assignment = class_service.assignment_for_instructor(assignment_id, current_user.id) or abort(404)
    student = next((s for s in class_service.roster(assignment.class_id) if s.id == student_id), None) or abort(404)
    attempts = class_service.student_attempts_for(assignment, student_id)
    return render_template("instructor/student_work.html", assignment=assignment, student=student, attempts=attempts,
                           kind=KINDS.get(assignment.kind))


@bp.route("/attempts/<kind>/<int:attempt_id>")
@role_required(*TEACHERS)
def attempt(kind, attempt_id):
    """A student's attempt, line by line, on the same page the student sees."""
    found = class_service.attempt_for_instructor(kind, attempt_id, current_user.id) or abort(404)
    student = db.session.get(User, found.user_id)
    shown = KINDS[kind]
    return render_template(shown.template, **shown.page(found, viewer_is_instructor=True, student=student))
