from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import role_required
from app.progress import bp
from app.progress.forms import JoinForm
from app.services import classes as class_service
from app.services import progress as progress_service


@bp.route("/")
@role_required()
def dashboard():
    data = progress_service.dashboard(current_user.id)
    return render_template("progress/dashboard.html", data=data, chart=progress_service.line_chart(data.timeline),
                           assignments=class_service.student_assignments(current_user.id))


@bp.route("/classes", methods=["GET", "POST"])
@role_required()
def classes():
    form = JoinForm()
    if form.validate_on_submit():
        try:
            classroom = class_service.join_class(current_user.id, form.code.data, request.remote_addr or "unknown")
        except class_service.TooManyJoinAttempts as exc:
            form.code.errors.append(exc.message)
            return render_template("progress/classes.html", form=form,
                                   classes=class_service.classes_joined(current_user.id),
                                   assignments=class_service.student_assignments(current_user.id)), \
                429, {"Retry-After": str(exc.retry_after)}
        except class_service.ClassError as exc:
            form.code.errors.append(exc.message)
        else:
            flash(f"You joined “{classroom.name}”.", "success")
            return redirect(url_for("progress.classes"))
    return render_template("progress/classes.html", form=form, classes=class_service.classes_joined(current_user.id),
                           assignments=class_service.student_assignments(current_user.id)), (422 if form.errors else 200)
