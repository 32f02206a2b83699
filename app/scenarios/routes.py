import datetime as dt

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from app import clock
from app.auth.decorators import role_required
from app.claims import Claim
from app.params import db_int
from app.scenarios import bp
from app.scenarios.forms import MAX_LINES, LabForm, ScenarioForm, choices, claim_initial, text
from app.services import scenarios as scenario_service
from app.services.attempts import AssignmentClosed, assignment_for_student

#: the practice the lab bills as (a valid NPI; the tax ID is invented)
LAB_PROVIDER = {"name": "Maple Street Family Medicine", "npi": "1111111112", "tax_id": "47-1234567"}


@bp.context_processor
def remittance_words():
    return scenario_service.page_words()


@bp.route("/")
@role_required()
def index():
    return render_template("scenarios/index.html", rows=scenario_service.list_scenarios(current_user.id))


def _normalised(data: dict) -> dict:
    return Claim.from_dict(data).to_dict()


def _render_scenario(scenario, form, status=200, assignment=None, closed=None):
    remit = scenario_service.original_remittance(scenario)
    form.causes.choices = choices(scenario_service.cause_choices(scenario, remit))
    form.action.choices = choices(scenario_service.action_choices(scenario))
    form.other_payer.choices = choices([("", "— choose a payer —")] + scenario_service.other_payer_choices(scenario))
    while len(form.lines) < MAX_LINES and (not form.lines.entries or form.lines.entries[-1].form.code.data):
        form.lines.append_entry()  # one blank line to add a service
    return render_template(
        "scenarios/scenario.html", scenario=scenario, form=form, claim=_normalised(scenario.claim),
        remit=remit.to_dict(), payer_name=scenario_service.payer_names().get(scenario.payer_slug),
        history=scenario_service.history(current_user.id, scenario.id),
        assignment=assignment, closed=closed,
    ), status


@bp.route("/<slug>", methods=["GET", "POST"])
@role_required()
def scenario(slug):
    scenario = scenario_service.get_scenario(slug) or abort(404)
    source = request.args if request.method == "GET" else request.form
    assignment_id = source.get("assignment", type=db_int)
    assignment = assignment_for_student(assignment_id, current_user.id) if assignment_id else None
    if request.method == "GET":
        return _render_scenario(scenario, ScenarioForm(data=claim_initial(_normalised(scenario.claim))),
                                assignment=assignment)
    form = ScenarioForm()
    # Choices must be set before validating (a value outside them is an error).
    remit = scenario_service.original_remittance(scenario)
    form.causes.choices = choices(scenario_service.cause_choices(scenario, remit))
    form.action.choices = choices(scenario_service.action_choices(scenario))
    form.other_payer.choices = choices([("", "")] + scenario_service.other_payer_choices(scenario))
    if not form.token.data:
        abort(400)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _render_scenario(scenario, form, status=422, assignment=assignment)
    answer = scenario_service.Answer(
        causes=list(form.causes.data), action=form.action.data,
        claim=form.claim_data(scenario.claim) if form.action.data in scenario_service.CLAIM_ACTIONS else None,
        other_payer=form.other_payer.data or "",
        filing_proof=dt.date.fromisoformat(text(form.filing_proof)) if text(form.filing_proof) else None,
    )
    try:
        attempt = scenario_service.submit_attempt(current_user.id, scenario, answer, form.token.data, assignment_id)
    except AssignmentClosed as exc:
        # Refused on the server whatever the page showed; everything typed is kept.
        return _render_scenario(scenario, form, status=409, assignment=assignment, closed=str(exc))
    return redirect(url_for("scenarios.attempt", slug=scenario.slug, attempt_id=attempt.id))


@bp.route("/<slug>/attempts/<int:attempt_id>")
@role_required()
def attempt(slug, attempt_id):
    attempt = scenario_service.get_own_attempt(attempt_id, current_user.id)
    if attempt is None or attempt.scenario.slug != slug:
        abort(404)  # someone else's attempt looks exactly like no attempt
    return render_template("scenarios/attempt.html", **scenario_service.attempt_page(attempt))


@bp.route("/<slug>/eligibility")
@role_required()
def eligibility(slug):
    """A simulated eligibility inquiry (270/271) by the patient's name and birth date."""
    scenario = scenario_service.get_scenario(slug) or abort(404)
    names = scenario_service.payer_names()
    payer = request.args.get("payer") or scenario.payer_slug
    if payer not in names:
        abort(404)
    patient = Claim.from_dict(scenario.claim).patient
    return render_template("scenarios/eligibility.html", scenario=scenario, payer=payer, names=names,
                           patient=patient, members=scenario_service.eligibility(scenario, payer))


@bp.route("/lab", methods=["GET", "POST"])
@role_required()
def lab():
    names = scenario_service.payer_names()
    if not names:
        abort(404)
    payer_slug = request.args.get("payer") if request.args.get("payer") in names else next(iter(names))
    profile = scenario_service.payers()[payer_slug]
    members = sorted(profile.members.values(), key=lambda m: m.name)
    form = LabForm()
    form.member.choices = choices([("", "— choose a patient —")] + [
        (m.member_id, f"{m.name} · born {m.birth_date} · {m.plan or 'plan'} · ID {m.member_id}") for m in members])
    today = clock.today()
    if request.method == "GET":
        form.as_of.data = today.isoformat()
        form.place_of_service.data = "11"
        form.lines[0].form.date_of_service.data = today.isoformat()
    remit, claim, status = None, None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            member = profile.members[form.member.data]
            claim = {
                "claim_id": "LAB-1", "patient": {"name": member.name, "birth_date": member.birth_date.isoformat()
                                                 if member.birth_date else None, "sex": member.sex},
                "coverage": {"member_id": member.member_id, "plan": member.plan, "group": member.group},
                "billing_provider": dict(LAB_PROVIDER), "place_of_service": text(form.place_of_service),
                "prior_auth": text(form.prior_auth), "diagnoses": form.diagnosis_list(),
                "lines": form.line_list(), "receipt_date": text(form.as_of),
            }
            remit = scenario_service.run_lab(payer_slug, claim, dt.date.fromisoformat(text(form.as_of))).to_dict()
            claim = _normalised(claim)
        else:
            if "csrf_token" in form.errors:
                abort(400)
            status = 422
    while len(form.lines) < 4:
        form.lines.append_entry()
    return render_template("scenarios/lab.html", form=form, names=names, payer_slug=payer_slug, profile=profile,
                           remit=remit, claim=claim, payer_name=names[payer_slug],
                           list_errors=getattr(form, "list_errors", {})), status
