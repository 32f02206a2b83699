"""Global surgery: visits and procedures inside a procedure's global period (modifiers 57, 25, 24, 79)."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.claims import Claim, adjudicate  # noqa: E402
from app.claims.reference import GLOBAL_INDICATORS, global_days  # noqa: E402
from app.claims.remittance import RARC_TEXT  # noqa: E402
from app.claims.samples import NPI_2, claim_data, sample_codes, sample_payer  # noqa: E402

CODES = sample_codes()
# no pair edits, so only the global surgery rule can bundle a line
PAYER = sample_payer(pair_edits=[], members=[])
AS_OF = dt.date(2026, 6, 30)
SURGERY_DAY = dt.date(2026, 3, 10)


def line(code, mods=(), day=SURGERY_DAY, charge="100.00"):
    return {"date_of_service": day.isoformat(), "code": code, "modifiers": list(mods), "pointers": ["A"],
            "charge": charge}


def claim(*lines, claim_id="CLM-1", **fields):
    fields = {"diagnoses": ["M17.11", "I10"], "receipt_date": "2026-06-20", **fields}
    return Claim.from_dict(claim_data(claim_id=claim_id, lines=list(lines), **fields))


def run(c, history=()):
    return adjudicate(c, PAYER, AS_OF, CODES, history=history)


def visit_outcome(remit, n=1):
    x = remit.lines[n - 1]
    return (x.denied_by, x.adjustments[0].rarc) if x.denied_by else (None, None)


# ----------------------------------------------------------------------------- data file


def test_every_indicator_in_the_data_file_is_known_and_labelled():
    table = global_days()
    assert set(table.by_code.values()) | {r[2] for r in table.ranges} <= set(GLOBAL_INDICATORS)
    assert "Medicare Physician Fee Schedule" in table.source and "Not CMS" in table.source
    assert table.year == 2026


@pytest.mark.parametrize("code, indicator", [
    ("29881", "090"), ("27447", "090"), ("17000", "010"), ("11200", "010"), ("10060", "010"),
    ("20610", "000"), ("11102", "000"), ("55700", "000"), ("17003", "ZZZ"), ("11201", "ZZZ"),
    ("96372", "XXX"), ("99214", "XXX"), ("59400", "MMM"), ("72148", None),
])
def test_global_indicator_of_codes_we_use(code, indicator):
    assert global_days().of(code) == indicator


def test_every_surgery_code_our_payers_price_has_a_global_indicator():
    from app.claims.payer import load_payers
    missing = {code for p in load_payers(ROOT / "content" / "payers").values() for code in p.fee_schedule
               if code[:5].isdigit() and "10004" <= code[:5] <= "69990" and global_days().of(code[:5]) is None}
    assert missing == set()


# ----------------------------------------------------------------------------- the same day: 57 against 25


@pytest.mark.parametrize("procedure, visit_mods, bundled", [
    # 90-day (major) procedure: only 57 (decision for surgery) lifts the edit
    ("29881", (), True), ("29881", ("25",), True), ("29881", ("57",), False),
    # 10-day (minor) procedure: 25, and 57 does not
    ("17000", (), True), ("17000", ("25",), False), ("17000", ("57",), True),
    # 0-day procedure: 25, and 57 does not
    ("20610", (), True), ("20610", ("25",), False), ("20610", ("57",), True),
    # no global period: nothing to lift
    ("96372", (), False), ("17003", (), False),
])
def test_visit_the_same_day_as_a_procedure(procedure, visit_mods, bundled):
    mods = ("RT",) if procedure in ("29881", "20610") else ()
    remit = run(claim(line("99214", visit_mods), line(procedure, mods)))
    assert visit_outcome(remit) == (("global-surgery", ("M15",)) if bundled else (None, None))
    if bundled:
        assert remit.lines[0].adjustments[0].carc == "97" and remit.lines[0].adjustments[0].group == "CO"
        assert ("57" if procedure == "29881" else "25") in remit.lines[0].explanations[0]


def test_the_day_before_a_major_procedure_needs_57_and_not_before_a_minor_one():
    day_before = SURGERY_DAY - dt.timedelta(days=1)
    assert visit_outcome(run(claim(line("99214", day=day_before), line("29881", ("RT",)))))[0] == "global-surgery"
    assert visit_outcome(run(claim(line("99214", ("57",), day=day_before), line("29881", ("RT",))))) == (None, None)
    assert visit_outcome(run(claim(line("99214", day=day_before), line("17000")))) == (None, None)


# ----------------------------------------------------------------------------- after surgery: 24 and 79 (claims history)


def earlier(*lines, claim_id="CLM-0", **fields):
    first = claim(*lines, claim_id=claim_id, **fields)
    return first, run(first)


@pytest.mark.parametrize("procedure, days_after, inside", [
    ("29881", 1, True), ("29881", 90, True), ("29881", 91, False),
    ("17000", 10, True), ("17000", 11, False),
    ("20610", 1, False),   # 0-day: no postoperative period
    ("17003", 3, False),   # an add-on opens no period of its own
])
def test_visit_after_surgery_needs_24_inside_the_period(procedure, days_after, inside):
    mods = ("RT",) if procedure in ("29881", "20610") else ()
    base = (line("17000"), line("17003")) if procedure == "17003" else (line(procedure, mods),)
    prior = earlier(*base) if procedure != "17003" else earlier(line("17003"))
    day = SURGERY_DAY + dt.timedelta(days=days_after)
    plain = run(claim(line("99213", day=day)), history=[prior])
    assert (visit_outcome(plain)[0] == "global-surgery") is inside
    if inside:
        text = plain.lines[0].explanations[0]
        assert "24" in text and "CLM-0" in text and f"{global_days().days(procedure)}-day" in text
    assert visit_outcome(run(claim(line("99213", ("24",), day=day)), history=[prior])) == (None, None)


@pytest.mark.parametrize("mods, bundled", [((), True), (("79",), False), (("58",), False), (("78",), False),
                                           (("59",), True)])
def test_procedure_inside_the_period_needs_79(mods, bundled):
    prior = earlier(line("29881", ("RT",)))
    later = run(claim(line("10060", mods, day=SURGERY_DAY + dt.timedelta(days=20))), history=[prior])
    assert (visit_outcome(later)[0] == "global-surgery") is bundled
    if bundled:
        assert "79" in later.lines[0].explanations[0]


def test_tests_and_add_ons_inside_the_period_are_not_edited():
    prior = earlier(line("29881", ("RT",)))
    day = SURGERY_DAY + dt.timedelta(days=5)
    assert run(claim(line("96372", day=day)), history=[prior]).lines[0].denied_by is None
    assert run(claim(line("17003", day=day)), history=[prior]).lines[0].denied_by is None


def test_the_period_binds_the_same_provider_and_patient_only():
    day = SURGERY_DAY + dt.timedelta(days=5)
    other_doctor = earlier(line("29881", ("RT",)), rendering_provider={"name": "Dr Two", "npi": NPI_2})
    assert run(claim(line("99213", day=day)), history=[other_doctor]).lines[0].denied_by is None
    other_patient = earlier(line("29881", ("RT",)), coverage={"member_id": "ZZ999999", "plan": "Gold",
                                                              "relationship": "self"})
    assert run(claim(line("99213", day=day)), history=[other_patient]).lines[0].denied_by is None


def test_a_rejected_or_denied_surgery_opens_no_period():
    day = SURGERY_DAY + dt.timedelta(days=5)
    rejected = earlier(line("29881", ("RT",)), place_of_service="99")
    assert rejected[1].status == "rejected"
    assert run(claim(line("99213", day=day)), history=[rejected]).lines[0].denied_by is None
    denied = earlier(line("29881"), line("17000", day=SURGERY_DAY), diagnoses=["Z41.1"])
    assert all(x.denied_by for x in denied[1].lines)
    assert run(claim(line("99213", day=day)), history=[denied]).lines[0].denied_by is None


def test_a_later_procedure_on_the_same_claim_is_edited_too():
    remit = run(claim(line("29881", ("RT",)), line("99213", day=SURGERY_DAY + dt.timedelta(days=7))))
    assert visit_outcome(remit, 2)[0] == "global-surgery"


def test_global_remark_code_has_our_own_text():
    assert "M15" in RARC_TEXT


# ----------------------------------------------------------------------------- modifiers in the wrong place (4)


@pytest.mark.parametrize("code, mods", [("17000", ("24",)), ("17000", ("57",)), ("99213", ("79",))])
def test_global_modifiers_on_the_wrong_kind_of_code_are_co4(code, mods):
    remit = run(claim(line(code, mods)))
    assert remit.lines[0].denied_by == "modifier-fit"
