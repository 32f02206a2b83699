"""Payer-file rules for issue 11 §3: routine exams (CARC 49), codes paid separately only from a date
(CO-97), who owes a non-covered diagnosis (CO/PR-167), corrections by replacement or reopening, and
secondary claims that are not duplicates of the primary one."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.claims import Claim, adjudicate, load_payers  # noqa: E402
from app.claims.payer import PayerError, load_payer  # noqa: E402
from app.claims.samples import claim_data, sample_codes, sample_payer  # noqa: E402

AS_OF = dt.date(2026, 3, 25)
CODES = sample_codes()
DOS = "2026-03-10"


def line(code, modifiers=(), pointers=("A",), charge="100.00", dos=DOS):
    return {"date_of_service": dos, "code": code, "modifiers": list(modifiers), "pointers": list(pointers),
            "charge": charge, "units": 1}


def claim(*lines, dx=("M17.11",), **fields):
    return Claim.from_dict(claim_data(lines=list(lines), diagnoses=list(dx), **fields))


def first_adjustment(remit, n=1):
    x = remit.lines[n - 1]
    return (x.denied_by, f"{x.adjustments[0].group}-{x.adjustments[0].carc}") if x.denied else (None, None)


# ----------------------------------------------------------------------------- routine exams: CARC 49


@pytest.mark.parametrize("liability, modifiers, expected", [
    ("patient", (), "PR-49"),      # Medicare: routine physicals are excluded by statute, the patient owes them
    ("patient", ("GY",), "PR-49"),
    ("provider", (), "CO-49"),     # a payer whose members can't be billed for what it excludes
    ("provider", ("GA",), "PR-49"),  # ... unless the patient signed an advance notice
])
def test_a_routine_exam_the_payer_excludes_is_carc_49(liability, modifiers, expected):
    payer = sample_payer(routine_exams=["99381-99397"], non_covered_liability=liability)
    remit = adjudicate(claim(line("99396", modifiers, charge="260.00"), dx=("Z00.00",)), payer, AS_OF, CODES)
    assert first_adjustment(remit) == ("non-covered", expected)
    assert "N130" in remit.rarcs and "96" not in remit.carcs


def test_without_a_routine_exam_list_the_exam_is_paid():
    remit = adjudicate(claim(line("99396"), dx=("Z00.00",)), sample_payer(), AS_OF, CODES)
    assert first_adjustment(remit) == (None, None)


# ----------------------------------------------------------------------------- paid separately from a date


@pytest.mark.parametrize("dos, expected", [
    ("2023-12-27", ("payable-from", "CO-97")),   # before the payer's start date: bundled into the visit
    ("2024-01-01", (None, None)),                # from the start date: paid
])
def test_a_code_paid_separately_only_from_a_date(dos, expected):
    payer = sample_payer(members=[], separately_payable_from={"G2211": "2024-01-01"})
    c = claim(line("99213", dos=dos), line("G2211", dos=dos, charge="25.00"), receipt_date="2024-01-05")
    remit = adjudicate(c, payer, dt.date(2024, 1, 10), CODES)
    assert first_adjustment(remit, 1) == (None, None)
    assert first_adjustment(remit, 2) == expected


def test_payable_from_needs_real_dates():
    with pytest.raises(ValueError):
        sample_payer(separately_payable_from={"G2211": "soon"})


# ----------------------------------------------------------------------------- non-covered diagnosis: who owes it


@pytest.mark.parametrize("liability, modifiers, group", [
    ("provider", (), "CO"),
    ("patient", (), "PR"),
    ("provider", ("GA",), "PR"),
])
def test_a_non_covered_diagnosis_follows_the_payers_liability_rule(liability, modifiers, group):
    payer = sample_payer(non_covered_liability=liability)
    remit = adjudicate(claim(line("99213", modifiers), dx=("Z41.1",)), payer, AS_OF, CODES)
    assert first_adjustment(remit) == ("non-covered-diagnosis", f"{group}-167")


# ----------------------------------------------------------------------------- corrections per payer


@pytest.mark.parametrize("corrections, frequency, rejected", [
    ("replacement", "7", False),
    ("replacement", "8", False),
    ("reopening", "7", True),     # Medicare Part B corrects by reopening (CMS Pub. 100-04 ch. 34)
    ("reopening", "8", True),
    ("reopening", "1", False),    # a new original claim is still taken
])
def test_replacement_claims_only_where_the_payer_takes_them(corrections, frequency, rejected):
    payer = sample_payer(corrections=corrections)
    extra = {"original_claim_ref": "CLM-0999"} if frequency != "1" else {}
    remit = adjudicate(claim(line("99213"), frequency_code=frequency, **extra), payer, AS_OF, CODES)
    assert (remit.status == "rejected") is rejected
    if rejected:
        (msg,) = [m for m in remit.errors if m.rule == "fe-frequency"]
        assert msg.box == "22" and msg.status_code == "535" and "reopen claim CLM-0999" in msg.message


def test_corrections_must_be_a_known_mode():
    with pytest.raises(ValueError, match="corrections"):
        sample_payer(corrections="resubmission")


def test_a_bad_corrections_value_in_a_payer_file_names_the_line(tmp_path):
    text = (ROOT / "content" / "payers" / "medicare-like.yml").read_text(encoding="utf-8")
    bad = tmp_path / "medicare-like.yml"
    bad.write_text(text.replace("corrections: reopening", "corrections: sometimes"), encoding="utf-8")
    with pytest.raises(PayerError) as info:
        load_payer(bad)
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if t.startswith("corrections:"))
    assert f":{line}:" in str(info.value) and "corrections" in str(info.value)


@pytest.mark.parametrize("slug, mode", [
    ("medicare-like", "reopening"),
    ("commercial-ppo", "replacement"),
    ("medicaid-like", "replacement"),
])
def test_shipped_payers_correct_claims_the_way_their_kind_does(slug, mode):
    assert load_payers(ROOT / "content" / "payers")[slug].corrections == mode


def test_shipped_medicare_like_payer_rules():
    payer = load_payers(ROOT / "content" / "payers")["medicare-like"]
    assert "99397" in payer.routine_exams and "99397" not in payer.non_covered
    assert payer.separately_payable_from["G2211"] == dt.date(2024, 1, 1)
    therapy = [r for r in payer.required_modifiers if "97110" in r.codes]
    assert therapy and therapy[0].one_of == {"GP", "GO", "GN"}


# ----------------------------------------------------------------------------- duplicates and secondary claims


def test_a_claim_billed_as_secondary_is_not_a_duplicate_of_the_primary_one():
    payer = sample_payer()
    first = claim(line("99213"))
    again = claim(line("99213"), coverage={"member_id": "AB123456", "plan": "Gold", "payer_order": "secondary",
                                           "other_payer_paid": "60.00", "other_payer": "Another plan"})
    assert first_adjustment(adjudicate(first, payer, AS_OF, CODES, history=(first,))) == ("duplicate", "CO-18")
    assert first_adjustment(adjudicate(again, payer, AS_OF, CODES, history=(first,)))[0] != "duplicate"
