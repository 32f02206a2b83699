from flask import render_template
from flask_login import current_user

from app.main import bp
from app.services import lessons as lesson_service


@bp.route("/")
def index():
    tracks = lesson_service.tracks_with_progress(current_user.id if current_user.is_authenticated else None)
    return render_template("main/index.html", tracks=tracks)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
