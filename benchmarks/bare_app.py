"""The ceiling: a bare Flask + Flask-Login page, served the same way as the real site."""
from flask import Flask
from flask_login import LoginManager, UserMixin, login_required, login_user

app = Flask(__name__)
app.config["SECRET_KEY"] = "bench-only"
login_manager = LoginManager(app)


class BenchUser(UserMixin):
    id = "1"


@login_manager.user_loader
def load_user(user_id):
    return BenchUser() if user_id == "1" else None


@app.route("/login")
def login():
    login_user(BenchUser())
    return "ok"


@app.route("/page")
@login_required
def page():
    return "<!doctype html><title>bare</title><p>Hello from a bare Flask-Login page.</p>"
