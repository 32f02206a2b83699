from flask import abort, render_template, request

from app.codebook import bp
from app.codebook.forms import SYSTEM_NAMES
from app.services import codebook as codebook_service

NOTE_TITLES = {
    "includes": "Includes", "inclusion_terms": "Inclusion terms", "excludes1": "Excludes1 (never together)",
    "excludes2": "Excludes2 (not included here; both may be coded)", "code_first": "Code first",
    "code_also": "Code also", "use_additional": "Use additional code", "notes": "Notes",
}


@bp.route("/")
def search():
    q = request.args.get("q", "")
    system = request.args.get("system") or None
    results, error = [], None
    if q.strip():
        try:
            results = codebook_service.search(q, system, 50)
        except codebook_service.BadQuery as exc:
            error = str(exc)
    chapters = [] if q.strip() else codebook_service.codeset().children("icd10cm")
    return render_template("codebook/search.html", q=q, system=system, results=results, error=error,
                           systems=SYSTEM_NAMES, chapters=chapters)


@bp.route("/<system>/<code>")
def code(system, code):
    if system not in SYSTEM_NAMES:
        abort(404)
    entry = codebook_service.find(code, system) or abort(404)
    return render_template("codebook/code.html", page=codebook_service.code_page(entry),
                           systems=SYSTEM_NAMES, note_titles=NOTE_TITLES)
