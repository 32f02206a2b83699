"""Chart to Claim: the application factory."""
from __future__ import annotations

import os

from flask import Flask, Request, abort, current_app, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.content.limits import MAX_IMPORT_BYTES
from app.extensions import csrf, db, login_manager, migrate, register_sqlite_pragmas
from app.params import MAX_DB_INT, json_depth
from config import CONFIGS, ProductionConfig

#: the views that take a JSON body (exams.js autosave); every other POST is a form
JSON_ENDPOINTS = {"exams.autosave"}
#: bytes a quiz import request may carry beyond the file itself: the format and title fields and the
#: multipart framing
IMPORT_FORM_OVERHEAD = 64_000


def body_limit(config, endpoint: str | None) -> int | None:
    """The most bytes a request to ``endpoint`` may send: MAX_CONTENT_LENGTH, larger for the quiz
    import (a file), smaller for the JSON views."""
    if endpoint == "quizzes.import_file":
        return MAX_IMPORT_BYTES + IMPORT_FORM_OVERHEAD  # the file limit has one home: app/content/limits.py
    if endpoint in JSON_ENDPOINTS:
        return config["MAX_JSON_BYTES"]
    return config["MAX_CONTENT_LENGTH"]


class SizedRequest(Request):
    """Flask's request with its body limit chosen by the view it goes to. Setting
    ``request.max_content_length`` in the view would be too late: the CSRF check reads the form first."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None or not current_app:
            return super().max_content_length
        return body_limit(current_app.config, self.endpoint)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


class BoundedJSONProvider(DefaultJSONProvider):
    """Refuses JSON nested past MAX_JSON_DEPTH as invalid JSON (``get_json`` answers 400, or None
    when silent) instead of letting the decoder's RecursionError become a 500."""

    def loads(self, s, **kwargs):
        limit = self._app.config["MAX_JSON_DEPTH"]
        if json_depth(s) > limit:
            raise ValueError(f"JSON nested more than {limit} levels deep")
        return super().loads(s, **kwargs)


class IdConverter(IntegerConverter):
    """``<int:...>`` in a URL names a row: a number past an INTEGER column is no row (404), not an
    error in the database."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(map, *args, **kwargs)


def create_app(config: str | type | dict | None = None) -> Flask:
    """Build the app. ``config`` is a name from config.CONFIGS, a config class, or a dict of overrides
    applied on top of the environment's config (tests pass one)."""
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = SizedRequest
    app.json = BoundedJSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    name = config if isinstance(config, str) else os.environ.get("APP_CONFIG", "development")
    if not isinstance(config, type) and name not in CONFIGS:
        # a typo ("prod", "Production") must not quietly give the development config and its known key
        raise RuntimeError(f"APP_CONFIG={name!r} is not a known configuration; use one of: "
                           f"{', '.join(CONFIGS)}.")
    config_class = config if isinstance(config, type) else CONFIGS[name]
    if isinstance(config, dict):
        config_class = CONFIGS["testing"] if config.get("TESTING") else config_class
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    app.config.from_object(config_class)
    if isinstance(config, dict):
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    trust_proxies(app)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_guards(app)
    register_security_headers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` proxies, take the client's address, scheme and host from the
    X-Forwarded-* headers those proxies add (werkzeug's ProxyFix), and only from the last that many
    entries: anything the client itself sent in those headers comes before them and is ignored. Without
    this, every request has the proxy's address and the per-address limits count the whole site as one
    client. 0 trusts no header."""
    raw = app.config.get("TRUSTED_PROXIES", 0)
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isascii() or not text.isdigit() or int(text) > 10:
        raise RuntimeError(f"TRUSTED_PROXIES={raw!r} is not a number of proxies from 0 to 10 "
                           "(nginx alone in front of gunicorn: 1; no proxy: 0).")
    hops = app.config["TRUSTED_PROXIES"] = int(text)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (registers the tables)
    from app.services.auth import load_login_session

    register_sqlite_pragmas()
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_login_session)


def register_blueprints(app: Flask) -> None:
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.cases import bp as cases_bp
    from app.exams import bp as exams_bp
    from app.codebook import bp as codebook_bp
    from app.instructor import bp as instructor_bp
    from app.progress import bp as progress_bp
    from app.lessons import bp as lessons_bp
    from app.main import bp as main_bp
    from app.rolefit import bp as rolefit_bp
    from app.scenarios import bp as scenarios_bp
    from app.quizzes import bp as quizzes_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(lessons_bp, url_prefix="/lessons")
    app.register_blueprint(rolefit_bp, url_prefix="/role-fit")
    app.register_blueprint(codebook_bp, url_prefix="/codebook")
    app.register_blueprint(cases_bp, url_prefix="/cases")
    app.register_blueprint(exams_bp, url_prefix="/exams")
    app.register_blueprint(scenarios_bp, url_prefix="/claims")
    app.register_blueprint(quizzes_bp, url_prefix="/quizzes")
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(instructor_bp, url_prefix="/instructor")
    app.register_blueprint(progress_bp, url_prefix="/progress")


def register_errorhandlers(app: Flask) -> None:
    from app.errors import MESSAGES, error_page, error_text

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if code == 500:
            db.session.rollback()
        key = code if code in MESSAGES else 500
        values = {"limit": size_text(request.max_content_length)} if code == 413 else {}
        if request.path.startswith("/api/") or request.endpoint in JSON_ENDPOINTS:
            title, message = error_text(key, **values)
            return {"error": title, "message": message}, code
        return error_page(code, key, **values)

    for code in MESSAGES:
        if isinstance(code, int):
            app.register_error_handler(code, render_error)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(400, "csrf")


def size_text(n: int | None) -> str:
    """A byte count as people read it: 600 kB, 1.06 MB."""
    if n is None:
        return "no limit"
    return f"{n / 1_000_000:.3g} MB" if n >= 1_000_000 else f"{n / 1000:.3g} kB"


def register_request_guards(app: Flask) -> None:
    @app.before_request
    def forms_are_not_json():
        """Flask-WTF fills a form from a JSON body too, and a number, list or object where a form has
        text reaches validators written for text (a 500). Runs after the CSRF check."""
        if request.method == "POST" and request.is_json and request.endpoint not in JSON_ENDPOINTS:
            abort(415)

    @app.before_request
    def no_control_characters_in_the_path():
        """A name in the URL (a slug, a code, a kind, a static file) with a NUL or another control character
        names nothing: 404 before any view runs. PostgreSQL refuses NUL in a text parameter (a 500 on
        ``/cases/%00``), and no slug, code or file name of ours holds a control character."""
        for value in (request.view_args or {}).values():
            if isinstance(value, str) and _has_control_character(value):
                abort(404)

    @app.before_request
    def no_nul_characters():
        """No one types a NUL, and PostgreSQL refuses one in text (a 500 wherever a field is stored)."""
        for values in (request.args, request.form) if request.method == "POST" else (request.args,):
            if any("\x00" in value for _, vals in values.lists() for value in vals):
                abort(400)


def _has_control_character(text: str) -> bool:
    # C0 controls, DEL and the C1 block: the characters unicodedata calls "Cc".
    return any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text)


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config.get("HSTS"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_commands(app: Flask) -> None:
    from app.cli import backup_cli, codes_cli, content_cli, deploy_cli, exams_cli, setup_cli, users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(codes_cli)
    app.cli.add_command(setup_cli)
    app.cli.add_command(deploy_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(exams_cli)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    from app import clock
    app.jinja_env.globals["now_utc"] = clock.utcnow

    @app.context_processor
    def inject_site():
        return {"site_name": "Chart to Claim"}

    links: dict[tuple[str, str, str], str] = {}

    def link(endpoint: str, filename: str = "") -> str:
        """url_for for the fixed links of the page frame (no arguments but a static file name), built
        once per mount point: every page has a dozen of them and url_for is a measurable share of a
        lesson page."""
        key = (request.script_root, endpoint, filename)
        url = links.get(key)
        if url is None:
            url = links[key] = url_for(endpoint, filename=filename) if filename else url_for(endpoint)
        return url

    app.jinja_env.globals["link"] = link
