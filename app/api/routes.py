from flask import jsonify, request, url_for

from app.api import bp
from app.services import codebook as codebook_service


def _url(entry):
    return url_for("codebook.code", system=entry.system, code=entry.code)


@bp.route("/codes")
def codes():
    try:
        results = codebook_service.search(request.args.get("q"), request.args.get("system"), request.args.get("limit"))
    except codebook_service.BadQuery as exc:
        return jsonify(error="bad query", message=str(exc)), 400
    return jsonify(query=request.args.get("q"), count=len(results),
                   results=[codebook_service.to_json(e, _url(e)) for e in results])


@bp.route("/codes/<code>")
def code(code):
    system = request.args.get("system")
    entry = codebook_service.find(code, system)
    if entry is None:
        return jsonify(error="not found", message=f"no code {code!r}" + (f" in {system}" if system else "")), 404
    data = codebook_service.to_json(entry, _url(entry))
    page = codebook_service.code_page(entry)
    data.update({
        "ancestors": [{"code": a.code, "description": a.description, "kind": a.kind} for a in page.ancestors],
        "children": [{"code": c.code, "description": c.description, "billable": c.billable} for c in page.children],
        "notes": {k: [{"from": f, "text": t} for f, t in v] for k, v in page.notes.items()},
        "seventh_characters": [{"character": ch, "meaning": m} for ch, m in entry.seventh_characters],
        "missing": page.missing,
    })
    return jsonify(data)
