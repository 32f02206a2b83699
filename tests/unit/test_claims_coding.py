"""Claim engine, line edits: code dates, age/sex, modifiers, POS, coverage, duplicates, pairs, units, auth."""
from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.claims import Claim, adjudicate  # noqa: E402
from app.claims.samples import claim_data, sample_codes, sample_payer  # noqa: E402

AS_OF = dt.date(2026, 3, 25)
CODES = sample_codes()
PAYER = sample_payer()
NO_ROSTER = sample_payer(members=[])  # for old dates of service, before the sample member's coverage
DOS = "2026-03-10"
JANE = {"name": "Doe, Jane", "birth_date": "1970-04-15", "sex": "F"}


def line(code, modifiers=(), pointers=("A",), charge="100.00", units=1, **extra):
    return {"date_of_service": DOS, "code": code, "modifiers": list(modifiers), "pointers": list(pointers),
            "charge": charge, "units": units, **extra}


def claim(*lines, dx=("M17.11",), **fields):
    return Claim.from_dict(claim_data(lines=list(lines), diagnoses=list(dx), **fields))


def run(c, payer=PAYER, history=(), as_of=AS_OF):
    return adjudicate(c, payer, as_of, CODES, history=history)


def denial(remit, n=1):
    """(rule id, 'GROUP-CARC') of line n."""
    x = remit.lines[n - 1]
    return x.denied_by, (f"{x.adjustments[0].group}-{x.adjustments[0].carc}" if x.denied else None)


# ----------------------------------------------------------------------------- code valid on DOS (146/181/182)


def test_diagnosis_not_yet_valid_on_the_date_of_service_is_co146():
    # E66.811 took effect 2024-10-01
    c = claim(line("99213", pointers=("A",)) | {"date_of_service": "2024-09-20"}, dx=("E66.811",),
              receipt_date="2024-09-25")
    remit = run(c, payer=NO_ROSTER, as_of=dt.date(2024, 9, 30))
    assert denial(remit) == ("code-dates", "CO-146")
    assert "M76" in remit.rarcs


def test_same_diagnosis_after_its_effective_date_passes_the_edit():
    c = claim(line("99213"), dx=("E66.811",))
    assert run(c).lines[0].denied_by is None


def test_procedure_not_yet_valid_is_co181_and_retired_procedure_too():
    from app.claims.codeset import MemoryCodeSet
    from app.claims.samples import SAMPLE_CODES, SAMPLE_HEADERS

    codes = MemoryCodeSet({**SAMPLE_CODES, "cpt": SAMPLE_CODES["cpt"] + ["99421"]}, SAMPLE_HEADERS)
    day = {"date_of_service": "2019-12-30"}   # online digital visit codes took effect 2020-01-01 (CPT 2020)
    c = claim(line("99213") | day, line("99421") | day, receipt_date="2020-01-06")
    remit = adjudicate(c, sample_payer(members=[], fee_schedule={"99213": "90.00", "99421": "15.00"}),
                       dt.date(2020, 1, 10), codes)
    assert denial(remit, 1) == (None, None)
    assert denial(remit, 2) == ("code-dates", "CO-181")
    assert remit.status == "partially_paid"
    assert denial(run(claim(line("99201")))) == ("code-dates", "CO-181")   # retired in 2021


def test_g2211_is_a_valid_code_before_2024():
    """G2211 has been in HCPCS since 2021; Medicare's 2024 start is a payment rule, not a code date."""
    from app.claims.reference import valid_on

    assert valid_on("hcpcs", "G2211", dt.date(2023, 12, 27))


def test_modifier_not_yet_valid_is_co182():
    c = claim(line("99213", modifiers=("FS",)) | {"date_of_service": "2021-11-02"}, receipt_date="2021-11-20")
    assert denial(run(c, payer=NO_ROSTER, as_of=dt.date(2021, 11, 30))) == ("code-dates", "CO-182")


# ----------------------------------------------------------------------------- age and sex (6, 7, 9, 10)
# Diagnosis edits by the Medicare Code Editor per fiscal year, and the payer's own sex policy:
# tests/unit/test_claims_mce.py. Here: CPT age bands, and that only pointed diagnoses are edited.


def test_preventive_visit_outside_its_age_band_is_co6_labelled_as_a_cpt_definition():
    remit = run(claim(line("99397"), dx=("I10",)))  # 55-year-old, 65+ code
    assert denial(remit) == ("procedure-age", "CO-6")
    assert "CPT code definition" in remit.lines[0].explanations[0]
    assert "Medicare Code Editor" not in remit.lines[0].explanations[0]
    assert denial(run(claim(line("99396"), dx=("I10",)))) == (None, None)


@pytest.mark.parametrize("code,birth_date,denied", [
    # date of service 2026-03-10: both ends of a CPT age band are inside it
    ("99396", "1961-03-11", False),   # 64 the day before the 65th birthday: still 40-64
    ("99396", "1961-03-10", True),    # 65 on the date of service
    ("99397", "1961-03-10", False),   # 65: the 65-and-over code
    ("99397", "1961-03-11", True),    # 64
    ("99396", "1986-03-10", False),   # 40 on the date of service: lower bound included
    ("99396", "1986-03-11", True),    # 39
])
def test_age_band_bounds_are_inclusive(code, birth_date, denied):
    patient = {"name": "Doe, Jane", "birth_date": birth_date, "sex": "F"}
    remit = run(claim(line(code), dx=("Z00.00",), patient=patient), payer=NO_ROSTER)
    assert (denial(remit)[0] == "procedure-age") is denied, remit.lines[0].explanations


def test_unpointed_diagnosis_does_not_trigger_age_or_sex_edits():
    c = claim(line("99213", pointers=("A",)), dx=("I10", "O80"), patient={**JANE, "sex": "M"})
    assert denial(run(c, payer=sample_payer(members=[]))) == (None, None)


# ----------------------------------------------------------------------------- modifiers (4)


def test_modifier_25_on_a_procedure_is_co4():
    assert denial(run(claim(line("20610", modifiers=("25", "RT"))))) == ("modifier-fit", "CO-4")


def test_required_laterality_modifier_missing_is_co4_and_present_passes():
    remit = run(claim(line("20610")))
    assert denial(remit) == ("modifier-fit", "CO-4")
    assert "RT" in remit.lines[0].explanations[0]
    assert denial(run(claim(line("20610", modifiers=("LT",))))) == (None, None)


@pytest.mark.parametrize("mods", [("RT", "LT"), ("26", "TC")])
def test_contradictory_modifier_pairs_are_co4(mods):
    assert denial(run(claim(line("20610", modifiers=mods))))[1] == "CO-4"


def test_modifier_required_only_at_some_places_of_service():
    payer = sample_payer(required_modifiers=[{"codes": ["99213"], "places_of_service": ["10"],
                                              "one_of": ["95"]}])
    assert denial(run(claim(line("99213")), payer=payer)) == (None, None)
    assert denial(run(claim(line("99213"), place_of_service="10"), payer=payer)) == ("modifier-fit", "CO-4")
    assert denial(run(claim(line("99213", modifiers=("95",)), place_of_service="10"), payer=payer)) == (None, None)


# ----------------------------------------------------------------------------- place of service (5)


def test_emergency_visit_billed_at_the_office_is_co5():
    assert denial(run(claim(line("99283"), dx=("J02.9",)))) == ("pos-fit", "CO-5")
    assert denial(run(claim(line("99283"), dx=("J02.9",), place_of_service="23"))) == (None, None)


def test_office_visit_code_at_inpatient_pos_is_co5():
    assert denial(run(claim(line("99213"), place_of_service="21"))) == ("pos-fit", "CO-5")


# ----------------------------------------------------------------------------- coverage (96, 204, 167, 50/11)


def test_non_covered_service_is_co96_n130_when_the_provider_is_liable():
    remit = run(claim(line("15780")))
    assert denial(remit) == ("non-covered", "CO-96")
    assert remit.rarcs == ("N130",)


@pytest.mark.parametrize("mod", ["GA", "GY"])
def test_non_covered_service_with_advance_notice_or_statutory_exclusion_is_pr96(mod):
    assert denial(run(claim(line("15780", modifiers=(mod,)))))[1] == "PR-96"


def test_non_covered_is_pr96_when_the_payer_makes_the_patient_liable():
    assert denial(run(claim(line("15780")), payer=sample_payer(non_covered_liability="patient")))[1] == "PR-96"


def test_code_missing_from_the_fee_schedule_is_co96_unless_priced_from_charge():
    payer = sample_payer(fee_schedule={"99213": "90.00"})
    assert denial(run(claim(line("96372")), payer=payer)) == ("non-covered", "CO-96")
    payer = sample_payer(fee_schedule={"99213": "90.00"}, unlisted_percent_of_charge=40)
    remit = run(claim(line("96372", charge="50.00")), payer=payer)
    assert remit.lines[0].allowed == Decimal("20.00")


def test_unpriced_code_stays_co96_even_when_the_payer_makes_patients_liable_for_exclusions():
    payer = sample_payer(fee_schedule={"99213": "90.00"}, non_covered_liability="patient")
    assert denial(run(claim(line("96372")), payer=payer))[1] == "CO-96"


def test_plan_exclusion_is_pr204_n130():
    members = [{"member_id": "AB123456", "name": "Doe, Jane", "birth_date": "1970-04-15", "plan": "Bronze"}]
    remit = run(claim(line("97110")), payer=sample_payer(members=members))
    assert denial(remit) == ("plan-exclusion", "PR-204")
    assert "N130" in remit.rarcs
    assert denial(run(claim(line("97110")))) == (None, None)  # Gold plan covers it


def test_non_covered_first_diagnosis_is_co167():
    assert denial(run(claim(line("11102"), dx=("Z41.1",)))) == ("non-covered-diagnosis", "CO-167")
    assert denial(run(claim(line("11102", pointers=("A", "B")), dx=("L82.1", "Z41.1")))) == (None, None)


def test_diagnosis_not_on_the_coverage_list_is_co50_for_a_necessity_payer():
    assert denial(run(claim(line("83036"), dx=("I10",)))) == ("medical-necessity", "CO-50")
    assert denial(run(claim(line("83036", pointers=("A", "B")), dx=("I10", "E11.9")))) == (None, None)
    assert denial(run(claim(line("83036"), dx=("R73.03",)))) == (None, None)   # R73 prefix


def test_diagnosis_not_on_the_coverage_list_is_co11_for_a_coding_payer():
    payer = sample_payer(medical_necessity={"carc": "11", "rules": [{"procedures": ["83036"],
                                                                     "diagnoses": ["E11"]}]})
    assert denial(run(claim(line("83036"), dx=("I10",)), payer=payer)) == ("medical-necessity", "CO-11")


def test_necessity_denial_with_advance_notice_is_pr50():
    assert denial(run(claim(line("83036", modifiers=("GA",)), dx=("I10",))))[1] == "PR-50"


def test_pointer_decides_which_diagnosis_supports_the_line():
    # E11.9 is on the claim but line 1 points only at I10
    assert denial(run(claim(line("83036", pointers=("A",)), dx=("I10", "E11.9"))))[1] == "CO-50"


# ----------------------------------------------------------------------------- duplicates (18)


def test_exact_duplicate_line_on_the_same_claim_is_co18():
    remit = run(claim(line("99213"), line("99213")))
    assert denial(remit, 1) == (None, None)
    assert denial(remit, 2) == ("duplicate", "CO-18")
    assert remit.status == "partially_paid"


def test_repeat_modifier_or_another_day_is_not_a_duplicate():
    assert denial(run(claim(line("97110"), line("97110", modifiers=("76",)))), 2) == (None, None)
    assert denial(run(claim(line("99213"), line("99213") | {"date_of_service": "2026-03-11"})), 2) == (None, None)


def test_claim_already_processed_is_co18():
    first = claim(line("99213"))
    remit = run(claim(line("99213"), claim_id="CLM-1002"), history=[first])
    assert remit.status == "denied" and remit.carcs == ("18",)
    assert "CLM-1001" in remit.lines[0].explanations[0]


def test_replacement_of_the_processed_claim_is_not_a_duplicate():
    first = claim(line("99213"))
    fixed = claim(line("99213"), frequency_code="7", original_claim_ref="CLM-1001")
    assert run(fixed, history=[first]).status == "paid"


def test_a_rejected_prior_claim_was_never_processed():
    first = claim(line("99213"))
    rejected = run(claim(line("99213"), place_of_service="99"))
    assert rejected.status == "rejected"
    assert run(first, history=[(first, rejected)]).status == "paid"


# ----------------------------------------------------------------------------- pair edits (97)


def test_indicator_0_pair_denies_column_2_even_with_59():
    remit = run(claim(line("20611", modifiers=("RT",)), line("76942", modifiers=("59",))))
    assert denial(remit, 1) == (None, None)
    assert denial(remit, 2) == ("pair-edit", "CO-97")
    assert remit.lines[1].adjustments[0].rarc == ("N20",)
    assert "no modifier" in remit.lines[1].explanations[0]


def test_indicator_1_pair_without_modifier_is_co97_m15():
    remit = run(claim(line("17000"), line("11102")))
    assert denial(remit, 2) == ("pair-edit", "CO-97")
    assert remit.lines[1].adjustments[0].rarc == ("M15",)


@pytest.mark.parametrize("lines, rarc", [
    # indicator 0: never paid together the same day -> N20, with or without a modifier
    ((line("20611", modifiers=("RT",)), line("76942")), "N20"),
    ((line("20611", modifiers=("RT",)), line("76942", modifiers=("XS",))), "N20"),
    # indicator 1: bundled unless a modifier shows a distinct service -> M15
    ((line("17000"), line("11102")), "M15"),
    ((line("11102"), line("17000"), line("11102", modifiers=("76",))), "M15"),
])
def test_pair_edit_remark_code_follows_the_modifier_indicator(lines, rarc):
    remit = run(claim(*lines))
    denied = [x for x in remit.lines if x.denied_by == "pair-edit"]
    assert denied and all(x.adjustments[0].rarc == (rarc,) for x in denied)


def test_pair_edit_remark_codes_have_our_own_text():
    from app.claims.remittance import RARC_TEXT
    from app.claims.rules import PAIR_RARC
    assert set(PAIR_RARC.values()) <= set(RARC_TEXT)


@pytest.mark.parametrize("mod", ["59", "XS", "XE", "XP", "XU"])
def test_indicator_1_pair_with_a_distinct_service_modifier_is_paid(mod):
    remit = run(claim(line("17000"), line("11102", modifiers=(mod,))))
    assert remit.status == "paid"


def test_em_bundled_with_a_procedure_needs_25_not_59():
    assert denial(run(claim(line("20610", modifiers=("RT",)), line("99213"))), 2)[1] == "CO-97"
    assert denial(run(claim(line("20610", modifiers=("RT",)), line("99213", modifiers=("59",)))), 2)[1] == "CO-97"
    assert run(claim(line("20610", modifiers=("RT",)), line("99213", modifiers=("25",)))).status == "paid"


def test_pair_edit_only_on_the_same_day():
    remit = run(claim(line("20611", modifiers=("RT",)), line("76942") | {"date_of_service": "2026-03-11"}))
    assert remit.status == "paid"


def test_pair_edit_ignores_a_column_1_line_already_denied():
    # column 1 line is an exact duplicate of nothing, but denied for missing laterality first
    remit = run(claim(line("20611"), line("76942")))
    assert denial(remit, 1)[1] == "CO-4"
    assert denial(remit, 2) == (None, None)


# ----------------------------------------------------------------------------- unit limits (151)


def test_units_over_the_daily_limit_are_co151_n362():
    remit = run(claim(line("97110", units=5)))
    assert denial(remit) == ("unit-limit", "CO-151")
    assert remit.rarcs == ("N362",)
    assert run(claim(line("97110", units=4))).status == "paid"


def test_units_add_up_across_lines_of_the_same_day():
    remit = run(claim(line("97110", units=3), line("97110", modifiers=("76",), units=2)))
    assert denial(remit, 1) == (None, None)
    assert denial(remit, 2) == ("unit-limit", "CO-151")


# ----------------------------------------------------------------------------- prior authorization (197)


def test_service_on_the_auth_list_without_a_number_is_co197():
    remit = run(claim(line("72148"), dx=("M54.50",)))
    assert denial(remit) == ("prior-auth", "CO-197")
    assert "box 23 is empty" in remit.lines[0].explanations[0]


JANE_ON_FILE = {"member_id": "AB123456", "name": "Doe, Jane", "birth_date": "1970-04-15", "plan": "Gold",
                "sex": "F", "coverage_start": "2025-01-01",
                "authorizations": [{"number": "PA-77", "codes": ["72148"], "start": "2026-03-01",
                                    "end": "2026-03-31"}]}
OTHER_MEMBER = {"member_id": "CD654321", "name": "Roe, Rick", "birth_date": "1966-01-02", "plan": "Gold",
                "sex": "M", "coverage_start": "2025-01-01",
                "authorizations": [{"number": "PA-88", "codes": ["72148"], "start": "2026-03-01",
                                    "end": "2026-03-31"}]}
AUTH_PAYER = sample_payer(members=[JANE_ON_FILE, OTHER_MEMBER], prior_auth=["72148", "29881"],
                          fee_schedule={**sample_payer().fee_schedule, "72148": "208.00", "29881": "520.00"})


@pytest.mark.parametrize("code, number, dos, denied, words", [
    ("72148", "PA-77", "2026-03-10", False, None),                       # right number, code and dates
    ("72148", "pa-77", "2026-03-10", False, None),                       # case doesn't matter
    ("72148", "PA-77", "2026-04-02", True, "outside"),                   # after the approval ended
    ("72148", "PA-77", "2026-02-27", True, "outside"),                   # before it began
    ("29881", "PA-77", "2026-03-10", True, "approves 72148, not 29881"),  # approved for another service
    ("72148", "PA-88", "2026-03-10", True, "not on file for this member"),  # another member's number
    ("72148", "PA-99", "2026-03-10", True, "not on file for this member"),  # unknown number
    ("72148", "", "2026-03-10", True, "box 23 is empty"),
])
def test_prior_authorization_must_match_one_on_file(code, number, dos, denied, words):
    c = claim(line(code, modifiers=("RT",) if code == "29881" else ()) | {"date_of_service": dos},
              dx=("M54.50",), prior_auth=number, receipt_date="2026-04-05")
    remit = run(c, payer=AUTH_PAYER, as_of=dt.date(2026, 4, 6))
    first = remit.lines[0]
    assert (first.denied_by == "prior-auth") is denied
    if denied:
        assert first.adjustments[0].carc == "197" and first.adjustments[0].group == "CO"
        assert words in first.explanations[0]


def test_the_line_number_wins_over_box_23():
    c = claim(line("72148", prior_auth="PA-77"), dx=("M54.50",), prior_auth="PA-99")
    assert run(c, payer=AUTH_PAYER).lines[0].denied_by is None


@pytest.mark.parametrize("members", [
    [{**JANE_ON_FILE, "authorizations": []}],   # the member has no authorizations on file
    [],                                          # the payer keeps no eligibility file at all
])
def test_a_number_is_never_accepted_unchecked(members):
    payer = sample_payer(members=members)
    remit = run(claim(line("72148"), dx=("M54.50",), prior_auth="PA-1"), payer=payer)
    assert denial(remit) == ("prior-auth", "CO-197")
    assert "not on file" in remit.lines[0].explanations[0]


def test_a_line_reports_only_the_first_rule_that_denies_it():
    # missing laterality (4) and over the unit limit (151): the earlier rule wins
    remit = run(claim(line("20610", units=3)))
    assert remit.lines[0].carcs == ("4",)
