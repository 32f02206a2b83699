"""Claim scenarios: list, scenario page, answering and scoring, attempts, privacy, the claim lab."""
import html as htmllib
import re

import pytest
import sqlalchemy as sa

from tests import factories

KNEE = "knee-injection-missing-side"


def scenario_row(app, slug):
    from app.extensions import db
    from app.models import ClaimScenario
    with app.app_context():
        row = db.session.scalar(sa.select(ClaimScenario).where(ClaimScenario.slug == slug))
        db.session.expunge(row)
        return row


def all_slugs(app):
    from app.extensions import db
    from app.models import ClaimScenario
    with app.app_context():
        return list(db.session.scalars(sa.select(ClaimScenario.slug).order_by(ClaimScenario.slug)))


def flatten(initial):
    """Form fields from claim_initial(...) data, named as the page names them."""
    data = {}
    for key, value in initial.items():
        if key == "diagnoses":
            data.update({f"diagnoses-{i}": v for i, v in enumerate(value)})
        elif key == "lines":
            for i, line in enumerate(value):
                data.update({f"lines-{i}-{k}": v for k, v in line.items()})
        else:
            data[key] = value
    return data


def answer_for(app, slug, resolution=0, **overrides):
    """The form data of an accepted resolution: expected causes, its action, its corrected claim."""
    from app.claims import Claim
    from app.claims.scenarios import apply_changes
    from app.scenarios.forms import claim_initial
    from app.services.scenarios import _changes

    row = scenario_row(app, slug)
    res = row.resolutions[resolution]
    claim = apply_changes(row.claim, _changes(res["changes"])) if res["changes"] else row.claim
    with app.app_context():
        data = flatten(claim_initial(Claim.from_dict(claim).to_dict()))
    data.update({"causes": list(row.expected["causes"]), "action": res["action"]})
    if res.get("payer"):
        data["other_payer"] = res["payer"]
    for ev in res.get("evidence") or []:
        if ev["path"] == "timely_filing_proof":
            data["filing_proof"] = ev["value"]
    data.update(overrides)
    return data


def scalars(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from scalars(v)
    elif isinstance(node, list):
        for v in node:
            yield from scalars(v)
    elif node is not None:
        yield str(node)


def token_of(page):
    return re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page).group(1)


def submit(student, slug, data):
    page = student.get(f"/claims/{slug}").get_data(as_text=True)
    data = dict(data)
    data.setdefault("token", token_of(page))
    return student.post(f"/claims/{slug}", data, token_from=f"/claims/{slug}")


def attempts_count(app):
    from app.models import ScenarioAttempt
    return factories.count(app, ScenarioAttempt)


# ----------------------------------------------------------------------------- pages


def test_scenario_pages_need_login(client):
    for path in ("/claims/", f"/claims/{KNEE}", "/claims/lab", f"/claims/{KNEE}/eligibility"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"], path


def test_list_shows_every_scenario_with_payer_and_difficulty(app, student):
    page = student.get("/claims/").get_data(as_text=True)
    slugs = all_slugs(app)
    assert len(slugs) >= 20
    for slug in slugs:
        assert f'href="/claims/{slug}"' in page
    assert "Summit Health PPO (practice)" in page and "easy" in page and "hard" in page
    assert 'href="/claims/"' in student.get("/lessons/").get_data(as_text=True)  # the nav link


def test_scenario_page_shows_encounter_cms1500_and_era(app, student):
    page = student.get(f"/claims/{KNEE}").get_data(as_text=True)
    assert "Latoya Brooks" in page
    for box in ("1a", "21", "22", "23", "24A", "24B", "24D", "24E", "24F", "24G", "24J", "25", "31", "32", "33"):
        assert f">{box}" in page, box
    assert "ICD Ind. <b>0</b>" in page and "4417251190" in page and "M17.12" in page
    # The ERA: the CARC with our words, the group's meaning, amounts and totals.
    assert "<strong>CO-4</strong>" in page and "a required modifier is missing" in page
    assert "contractual obligation" in page and "<dt>CO</dt>" in page and "Totals" in page and "partially paid" in page


def test_rejection_is_shown_as_a_front_end_rejection_not_a_denial(app, student):
    page = student.get("/claims/rejected-npi-typo-and-pointer").get_data(as_text=True)
    assert "front-end rejection" in page and "not a denial" in page
    # an acknowledgment (277CA style): category, status code and box, in our words; no CARC, no 835
    assert "Claim acknowledgment (277CA)" in page
    assert "<strong>A7</strong>" in page and "information is invalid" in page
    assert "<strong>562</strong>" in page and "National Provider Identifier" in page and "billing provider" in page
    assert "<strong>477</strong>" in page and "diagnosis code pointer" in page
    assert "CARC 16" not in page and "MA130" not in page
    assert "Adjustments (group-CARC, RARC)" not in page


ALL_SCENARIOS = sorted(p.stem for p in (__import__("pathlib").Path(__file__).resolve().parents[2]
                                         / "content" / "quizzes" / "scenarios").glob("*.yml"))


@pytest.mark.parametrize("slug", ALL_SCENARIOS)
def test_expected_answer_never_reaches_the_browser_before_submitting(app, student, slug):
    from app.claims import Claim
    from app.claims.scenarios import CAUSES
    row = scenario_row(app, slug)
    page = htmllib.unescape(student.get(f"/claims/{slug}").get_data(as_text=True))
    # The cause choices: the expected ones hide among at least as many distractors, every option
    # rendered alike, none pre-checked. Outside the choices, no expected cause id appears at all.
    choices = re.search(r'<ul class="claim-choices">(.*?)</ul>', page, re.S).group(1)
    options = re.findall(r'<li>(<input[^>]*>)', choices)
    assert len(options) >= 2 * len(row.expected["causes"]) and len(options) >= 8
    assert all("checked" not in o for o in options)
    assert {re.sub(r'(id|value)="[^"]*"', "", o) for o in options} == {re.sub(r'(id|value)="[^"]*"', "", options[0])}
    rest = page.replace(choices, "").replace(slug, "")
    for cause in row.expected["causes"]:
        if "-" in cause:
            assert cause not in rest
        else:  # a one-word id ("duplicate") may be an English word in the payer's own message
            assert not re.search(rf"[\"'/#=]{cause}[\"'\s>]", rest), cause
    # No rationale, and no accepted fix value that isn't on the original claim or in the encounter.
    assert " ".join(row.rationale.split())[:120] not in " ".join(page.split())
    # Fixed option lists (sex, box 22, payer order) are on every page; none may come pre-selected
    # with a fix, and outside them no fix value may appear.
    selected = re.findall(r'<option selected value="([^"]*)"', page)
    page = re.sub(r"<select.*?</select>", "", page, flags=re.S)
    from app.services.scenarios import original_remittance

    original = Claim.from_dict(row.claim).to_dict()
    on_claim_anywhere = set(scalars(original))
    with app.app_context():  # what the payer itself said in its answer is shown on purpose
        said = " ".join(scalars(original_remittance(row).to_dict()))
    seen = htmllib.unescape(row.encounter) + " " + said
    for res in row.resolutions:
        assert " ".join(res["rationale"].split())[:60] not in " ".join(page.split())
        for change in res["changes"] + (res.get("evidence") or []):
            if change.get("remove"):
                continue
            values = change["value"] if isinstance(change["value"], list) else [change["value"]]
            for v in values:
                v = str(v)
                if v in on_claim_anywhere or v in seen:
                    continue  # shown already
                assert v not in selected, (change["path"], v)
                assert f'value="{v}"' not in page, (change["path"], v)
                if len(v) >= 4:
                    assert v not in page, (change["path"], v)
    for wrong in row.not_accepted:
        assert " ".join(wrong["why"].split())[:60] not in " ".join(page.split())
    assert not any(c not in CAUSES for c in row.expected["causes"])


# ----------------------------------------------------------------------------- answering


@pytest.mark.parametrize("slug", [
    "knee-injection-missing-side", "rejected-npi-typo-and-pointer", "cob-employer-plan-primary",
    "timely-filing-proof-appeal", "clean-visit-deductible-coinsurance", "therapy-units-over-limit",
])
def test_the_accepted_resolution_scores_full_marks(app, student, slug):
    resp = submit(student, slug, answer_for(app, slug))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    result = student.get(resp.headers["Location"]).get_data(as_text=True)
    assert '<strong>100%</strong>' in result
    assert "The expected answer" in result and "Accepted resolution" in result


def test_every_accepted_resolution_of_every_scenario_scores_full_marks(app):
    """Straight through the service: each scenario's own resolutions are worth 100%."""
    from app.claims import Claim
    from app.claims.scenarios import apply_changes
    from app.extensions import db
    from app.models import ClaimScenario
    from app.services import scenarios as svc
    import datetime as dt

    with app.app_context():
        for row in db.session.scalars(sa.select(ClaimScenario)):
            for res in row.resolutions:
                claim = apply_changes(row.claim, svc._changes(res["changes"])) if res["changes"] else None
                proof = next((e["value"] for e in res.get("evidence") or [] if e["path"] == "timely_filing_proof"), None)
                answer = svc.Answer(causes=list(row.expected["causes"]), action=res["action"],
                                    claim=Claim.from_dict(claim).to_dict() if claim else None,
                                    other_payer=res.get("payer") or "",
                                    filing_proof=dt.date.fromisoformat(proof) if proof else None)
                scored = svc.score_answer(row, answer)
                assert scored.score == 1.0, (row.slug, res["action"], scored.feedback)


def test_correct_resubmission_is_paid_and_shown_beside_the_original(app, student):
    resp = submit(student, KNEE, answer_for(app, KNEE))
    result = student.get(resp.headers["Location"]).get_data(as_text=True)
    before, after = result.split("After: the payer")
    assert "partially paid" in before and "<strong>CO-4</strong>" in before
    after = after.split("The expected answer")[0]
    assert "era-paid" in after and "<strong>CO-4</strong>" not in after and "Paid: every line was processed." in after
    # Only now: the expected answer, the resolution's rationale and the not-accepted reason.
    assert "Add LT (left side)" in result and "RT would be a new error" in htmllib.unescape(result)


def test_a_wrong_answer_scores_less_with_reasons(app, student):
    from app.claims.scenarios import CAUSES
    page = student.get(f"/claims/{KNEE}").get_data(as_text=True)
    offered = re.findall(r'name="causes" type="checkbox" value="([^"]+)"', page)
    distractor = next(c for c in offered if c != "missing-modifier")
    data = answer_for(app, KNEE, causes=[distractor], action="appeal")
    resp = submit(student, KNEE, data)
    result = htmllib.unescape(student.get(resp.headers["Location"]).get_data(as_text=True))
    score = int(re.search(r"<strong>(\d+)%</strong>", result).group(1))
    assert score == 0
    assert "Missed: a modifier the payer requires is missing." in result
    assert f"Not a cause here: {CAUSES[distractor][1]}." in result
    assert "not an accepted resolution here" in result
    assert "No claim went to a payer with this action" in result


@pytest.mark.parametrize("slug, offers_reopening", [
    ("therapy-units-over-limit", True),       # Medicare-like: corrects by reopening
    ("ed-visit-billed-as-office", True),
    (KNEE, False),                            # Medicaid-like: takes replacement claims
    ("visit-with-joint-injection-needs-25", False),   # commercial PPO: takes replacement claims
])
def test_reopening_is_offered_only_where_the_payer_corrects_by_reopening(app, student, slug, offers_reopening):
    page = student.get(f"/claims/{slug}").get_data(as_text=True)
    assert ('value="request-reopening"' in page) is offers_reopening
    assert 'value="resubmit-corrected"' in page and 'value="no-action"' in page


def test_a_replacement_claim_to_a_reopening_payer_is_turned_back_and_says_why(app, student):
    slug = "therapy-units-over-limit"
    data = answer_for(app, slug, action="resubmit-corrected", frequency_code="7",
                      original_claim_ref="BPT-26-0201")
    resp = submit(student, slug, data)
    assert resp.status_code == 302
    result = htmllib.unescape(student.get(resp.headers["Location"]).get_data(as_text=True))
    assert "does not take replacement (7) or void (8) claims" in result and "reopen claim BPT-26-0201" in result
    assert "<strong>100%</strong>" not in result


def test_asking_for_a_reopening_scores_full_marks_and_is_paid(app, student):
    slug = "therapy-units-over-limit"
    resp = submit(student, slug, answer_for(app, slug))   # its accepted resolution: request-reopening
    result = htmllib.unescape(student.get(resp.headers["Location"]).get_data(as_text=True))
    assert "<strong>100%</strong>" in result and "Ask the payer to reopen the claim" in result


def test_a_reopening_cannot_be_posted_to_a_payer_that_takes_replacements(app, student):
    data = answer_for(app, KNEE, action="request-reopening")
    resp = submit(student, KNEE, data)
    assert resp.status_code == 422   # not a choice offered for this payer


def test_the_duplicate_scenario_and_exam_item_remit_005_teach_the_same_thing(app):
    """A CO-18 duplicate of a paid claim: no write-off, nothing beyond checking the original."""
    import yaml
    from app.services import scenarios as svc
    row = scenario_row(app, "duplicate-claim-resent")
    with app.app_context():
        assert svc.score_action(row, "no-action")[0] == 1.0
        assert svc.score_action(row, "write-off")[0] == 0.0
    items = yaml.safe_load((__import__("pathlib").Path(__file__).resolve().parents[2] / "content" / "questions"
                            / "remittance-denials.yml").read_text(encoding="utf-8"))
    item = next(q for q in (items["questions"] if isinstance(items, dict) else items) if q["id"] == "remit-005")
    key = item["choices"][item["answer"]]["text"].lower()
    assert "nothing" in key and "write" not in key


def test_half_right_causes_earn_part_of_the_cause_credit(app):
    from app.services import scenarios as svc
    row = scenario_row(app, "rejected-npi-typo-and-pointer")
    with app.app_context():
        scored = svc.score_answer(row, svc.Answer(causes=["invalid-npi"], action="write-off"))
    assert scored.cause == 0.5 and scored.action == 0 and scored.claim == 0
    assert scored.score == pytest.approx(0.2)


def test_the_wrong_side_is_paid_but_loses_the_field_credit(app, student):
    data = answer_for(app, KNEE, **{"lines-0-modifiers": "RT"})
    resp = submit(student, KNEE, data)
    result = htmllib.unescape(student.get(resp.headers["Location"]).get_data(as_text=True))
    assert "<strong>85%</strong>" in result  # 40 cause + 30 action + 15 (paid, wrong field)
    assert "RT would be a new error" in result and "you sent RT, expected LT" in result


def test_bad_input_comes_back_with_input_kept_and_nothing_stored(app, student):
    data = answer_for(app, KNEE, **{"lines-0-units": "two", "lines-0-modifiers": "LT RT 59 XS 76",
                                    "birth_date": "03/11/1986", "member_id": "4417251190X"})
    data.pop("causes")
    data.pop("action")
    resp = submit(student, KNEE, data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Pick at least one cause" in page and "Pick what you would do next." in page
    assert "Units must be a whole number" in page and "At most four modifiers" in page
    assert "Enter the date as YYYY-MM-DD" in page
    assert 'value="two"' in page and 'value="LT RT 59 XS 76"' in page and 'value="4417251190X"' in page
    assert 'value="03/11/1986"' in page
    # the error sits beside its field
    assert re.search(r'id="lines-0-units"[^>]*>\s*<span class="error" id="lines-0-units-error">', page)
    assert attempts_count(app) == 0


def test_bill_another_payer_needs_the_payer(app, student):
    data = answer_for(app, "cob-employer-plan-primary", other_payer="")
    resp = submit(student, "cob-employer-plan-primary", data)
    assert resp.status_code == 422 and "Pick the payer you would bill instead." in resp.get_data(as_text=True)
    assert attempts_count(app) == 0


def test_double_submit_stores_one_attempt(app, student):
    page = student.get(f"/claims/{KNEE}").get_data(as_text=True)
    data = answer_for(app, KNEE, token=token_of(page))
    first = student.post(f"/claims/{KNEE}", dict(data), token_from=f"/claims/{KNEE}")
    second = student.post(f"/claims/{KNEE}", dict(data), token_from=f"/claims/{KNEE}")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert attempts_count(app) == 1


def test_another_student_gets_404_for_my_attempt(app, student, login_as):
    location = submit(student, KNEE, answer_for(app, KNEE)).headers["Location"]
    other = login_as("student", "other@example.test")
    assert other.get(location).status_code == 404
    assert student.get(location).status_code == 200
    wrong_slug = location.replace(KNEE, "duplicate-claim-resent")
    assert student.get(wrong_slug).status_code == 404


def test_post_without_csrf_token_is_400_and_stores_nothing(app, student):
    page = student.get(f"/claims/{KNEE}").get_data(as_text=True)
    data = answer_for(app, KNEE, token=token_of(page))
    resp = student.client.post(f"/claims/{KNEE}", data=data)
    assert resp.status_code == 400
    assert attempts_count(app) == 0


def test_best_score_shows_on_the_list(app, student):
    submit(student, KNEE, answer_for(app, KNEE))
    listing = student.get("/claims/").get_data(as_text=True)
    row = listing[listing.index(f'href="/claims/{KNEE}"'):]
    row = row[:row.index("</tr>")]
    assert "100%" in row and "1 try" in row


def test_eligibility_check_finds_the_member_record(app, student):
    page = student.get("/claims/wrong-member-id-transposed/eligibility").get_data(as_text=True)
    assert "7RM4CE2UJ58" in page and "Haddad, Samir" in page
    other = student.get("/claims/cob-employer-plan-primary/eligibility?payer=commercial-ppo").get_data(as_text=True)
    assert "SHP902113548" in other
    assert student.get("/claims/cob-employer-plan-primary/eligibility?payer=nope").status_code == 404


# ----------------------------------------------------------------------------- claim lab


def lab_claim(**overrides):
    data = {"member": "SHP204118836", "as_of": "2026-03-20", "place_of_service": "11",
            "diagnoses-0": "M17.11", "lines-0-date_of_service": "2026-03-10", "lines-0-code": "20610",
            "lines-0-modifiers": "", "lines-0-pointers": "A", "lines-0-charge": "180.00", "lines-0-units": "1"}
    data.update(overrides)
    return data


def test_claim_lab_runs_a_claim_and_shows_carcs(app, student):
    page = student.get("/claims/lab?payer=commercial-ppo").get_data(as_text=True)
    assert "Castellanos, Rosa" in page
    resp = student.post("/claims/lab?payer=commercial-ppo", lab_claim(), token_from="/claims/lab")
    result = htmllib.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert "<strong>CO-4</strong>" in result and "a required modifier is missing" in result
    fixed = student.post("/claims/lab?payer=commercial-ppo", lab_claim(**{"lines-0-modifiers": "RT"}),
                         token_from="/claims/lab")
    text = htmllib.unescape(fixed.get_data(as_text=True))
    assert "CO-45" in text and "era-paid" in text and "PR-1" in text  # deductible not met yet


def test_claim_lab_shows_a_rejection_as_an_acknowledgment(app, student):
    resp = student.post("/claims/lab?payer=commercial-ppo", lab_claim(**{"diagnoses-0": "M17.1"}),
                        token_from="/claims/lab")
    page = htmllib.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert "Claim acknowledgment (277CA)" in page and "front-end rejection" in page
    assert "<strong>254</strong>" in page and "first-listed" in page and "<strong>A7</strong>" in page
    assert "needs needs" not in page and "it needs" in page   # the header message, said once
    assert "CARC 16" not in page and "Totals" not in page


def test_claim_lab_errors_sit_beside_the_fields(app, student):
    resp = student.post("/claims/lab?payer=commercial-ppo",
                        lab_claim(member="", **{"diagnoses-0": "", "lines-0-units": "0", "lines-0-charge": "abc"}),
                        token_from="/claims/lab")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Pick a patient." in page and "Enter at least one diagnosis code" in page
    assert "Units must be a whole number" in page and "Enter an amount such as 150.00." in page
    assert 'value="abc"' in page and "The payer&#39;s answer" not in page and "The payer's answer" not in page


# ----------------------------------------------------------------------------- content


def test_content_check_reports_a_scenario_that_contradicts_the_engine(app, tmp_path):
    import shutil
    from pathlib import Path

    from app.services.content import check_content, import_content

    base = tmp_path / "content"
    shutil.copytree(Path(app.config["CONTENT_DIR"]), base)
    path = base / "quizzes" / "scenarios" / f"{KNEE}.yml"
    path.write_text(path.read_text().replace('carcs: ["4", "45"]', 'carcs: ["4"]'))
    with app.app_context():
        report = check_content(base)
        assert not report.ok
        err = next(e for e in report.errors if e.path.endswith(f"{KNEE}.yml"))
        assert err.line and "expected CARCs" in err.message
        before = attempts_count(app)
        assert not import_content(base).ok  # nothing imported
    assert attempts_count(app) == before


def test_content_check_cli_counts_scenarios(runner):
    from pathlib import Path
    content = Path(__file__).resolve().parents[2] / "content"
    scenarios = len(list((content / "quizzes" / "scenarios").glob("*.yml")))
    payers = len(list((content / "payers").glob("*.yml")))
    assert scenarios >= 30 and payers == 3
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert f"scenarios: {scenarios}," in result.output and f"payers: {payers}," in result.output


def test_cause_choices_hold_the_expected_causes_and_are_stable(app):
    from app.extensions import db
    from app.models import ClaimScenario
    from app.services.scenarios import cause_choices

    with app.app_context():
        for row in db.session.scalars(sa.select(ClaimScenario)):
            ids = [c for c, _words in cause_choices(row)]
            assert set(row.expected["causes"]) <= set(ids) and len(ids) >= 8, row.slug
            assert len(set(ids)) == len(ids)
            assert ids == [c for c, _words in cause_choices(row)]  # same list on every visit


# ----------------------------------------------------------------------------- emptied boxes (issue 12 §7)


@pytest.mark.parametrize("box, message", [("units", "Enter the units (1 or more)."),
                                          ("charge", "Enter the line&#39;s charge.")])
def test_an_emptied_units_or_charge_box_on_a_scenario_comes_back_beside_the_field(app, student, box, message):
    data = answer_for(app, KNEE, **{f"lines-0-{box}": "", "lines-0-modifiers": "LT"})
    resp = submit(student, KNEE, data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(rf'id="lines-0-{box}"[^>]*>\s*<span class="error" id="lines-0-{box}-error">{re.escape(message)}', page)
    assert 'value="LT"' in page  # the student's other input is kept
    assert attempts_count(app) == 0


@pytest.mark.parametrize("box, message", [("units", "Enter the units (1 or more)."),
                                          ("charge", "Enter the line&#39;s charge.")])
def test_an_emptied_units_or_charge_box_in_the_claim_lab_comes_back_beside_the_field(app, student, box, message):
    resp = student.post("/claims/lab?payer=commercial-ppo", lab_claim(**{f"lines-0-{box}": "   ",
                                                                          "lines-0-modifiers": "RT"}),
                        token_from="/claims/lab")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(rf'id="lines-0-{box}"[^>]*>\s*<span class="error" id="lines-0-{box}-error">{re.escape(message)}', page)
    assert 'value="RT"' in page and 'value="20610"' in page
