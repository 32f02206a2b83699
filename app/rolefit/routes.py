from functools import lru_cache
from pathlib import Path

from flask import current_app, render_template, request
from flask_login import current_user

from app.auth.decorators import role_required
from app.rolefit import bp
from app.rolefit.forms import RoleFitForm
from app.careerfit.scoring import load_rolefit, score
from app.services import rolefit as rolefit_service


@lru_cache(maxsize=4)
def _quiz(path: str):
    return load_rolefit(path)


def quiz_data():
    return _quiz(str(Path(current_app.config["CONTENT_DIR"]) / "rolefit.yml"))


@bp.route("/", methods=["GET", "POST"])
def quiz():
    rolefit = quiz_data()
    form = RoleFitForm()
    answers, missing = {}, []
    if request.method == "POST":
        for statement in rolefit.statements:
            raw = request.form.get(statement.id, "")
            if raw in {"1", "2", "3", "4", "5"}:
                answers[statement.id] = int(raw)
            else:
                missing.append(statement.id)
        if form.validate_on_submit() and not missing:
            result = score(rolefit, answers)
            if current_user.is_authenticated:
                rolefit_service.save_latest(current_user.id, answers, result, rolefit.version)
            return render_template("rolefit/result.html", quiz=rolefit, result=result, answers=answers)
    status = 422 if request.method == "POST" else 200
    return render_template("rolefit/quiz.html", quiz=rolefit, form=form, answers=answers,
                           missing=set(missing)), status


@bp.route("/latest")
@role_required()
def latest():
    """A logged-in user's last result, scored again from the stored answers so it reads the same."""
    record = rolefit_service.latest(current_user.id)
    rolefit = quiz_data()
    if record is None or set(record.answers) != {s.id for s in rolefit.statements}:
        return render_template("rolefit/quiz.html", quiz=rolefit, form=RoleFitForm(), answers={},
                               missing=set(), note="You have no saved result for the current quiz yet.")
    return render_template("rolefit/result.html", quiz=rolefit, result=score(rolefit, record.answers),
                           answers=record.answers, taken_at=record.taken_at)
