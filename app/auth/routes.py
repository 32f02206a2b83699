from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm, RegisterForm
from app.services import auth as auth_service


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would let a phishing link borrow our login page.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.index")


def _wait_words(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{-(-seconds // 60)} minutes"


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if request.method == "POST":
        try:
            auth_service.note_registration_attempt(request.remote_addr or "unknown")
        except auth_service.TooManyAttempts:
            return render_template("auth/register.html", form=form, locked=True), 429
    if form.validate_on_submit():
        try:
            user = auth_service.create_user(form.email.data, form.name.data, form.password.data)
        except auth_service.AccountError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            session.clear()
            auth_service.start_login_session(user)
            login_user(user)
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(url_for("lessons.index"))
    return render_template("auth/register.html", form=form), (422 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = auth_service.authenticate(form.email.data, form.password.data, request.remote_addr or "unknown")
        except auth_service.TooManyAttempts as exc:
            return (render_template("auth/login.html", form=form, locked=True, wait=_wait_words(exc.retry_after)),
                    429, {"Retry-After": str(exc.retry_after)})
        except auth_service.AccountError as exc:
            form.password.errors.append(exc.message)
            status = 422
        else:
            session.clear()  # a fresh session: no fixation of a cookie set before login
            auth_service.start_login_session(user)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form, locked=False), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    auth_service.end_login_session(current_user.login_session_id)
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile")
@login_required
def profile():
    from app.services import lessons as lesson_service
    from app.services import rolefit as rolefit_service

    return render_template("auth/profile.html", rolefit=rolefit_service.latest(current_user.id),
                           tracks=lesson_service.tracks_with_progress(current_user.id))
