"""Claim engine, stage 2 and the first line edits: identity, COB, coverage dates, timely filing."""
from __future__ import annotations

import copy
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.claims import Claim, Member, adjudicate  # noqa: E402
from app.claims.samples import SAMPLE_PAYER, claim_data, sample_codes, sample_payer  # noqa: E402

AS_OF = dt.date(2026, 3, 25)
CODES = sample_codes()
JANE = SAMPLE_PAYER["members"][0]


def payer_with(**member_fields):
    member = {**copy.deepcopy(JANE), **member_fields}
    return sample_payer(members=[member])


def run(data=None, payer=None, as_of=AS_OF):
    return adjudicate(Claim.from_dict(data or claim_data()), payer or sample_payer(), as_of, CODES)


# ----------------------------------------------------------------------------- identity (31)


def test_unknown_member_id_denies_the_whole_claim_co31():
    remit = run(claim_data(coverage={"member_id": "AB999999", "plan": "Gold"}))
    assert remit.status == "denied"
    # an 835 posts a whole-claim denial on every line, each for its own charge: lines balance
    assert remit.claim_adjustments == ()
    assert [[str(a) for a in x.adjustments] for x in remit.lines] == [
        ["CO-31 200.00"], ["CO-31 150.00"], ["CO-31 40.00"], ["CO-31 30.00"]]
    assert all(x.denied_by == "member-identity" for x in remit.lines)
    assert all(x.charge == x.paid + sum(a.amount for a in x.adjustments) for x in remit.lines)
    assert remit.paid == 0 and remit.total_charge == sum(x.charge for x in remit.lines)


def test_birth_date_mismatch_is_co31():
    remit = run(claim_data(patient={"name": "Doe, Jane", "birth_date": "1970-05-14", "sex": "F"}))
    assert remit.carcs == ("31",)
    assert "birth date" in remit.explanations[0]


def test_last_name_mismatch_is_co31_but_nickname_with_same_initial_passes():
    assert run(claim_data(patient={"name": "Smith, Jane", "birth_date": "1970-04-15", "sex": "F"})).carcs == ("31",)
    assert run(claim_data(patient={"name": "DOE, JANIE", "birth_date": "1970-04-15", "sex": "F"})).status == "paid"
    assert run(claim_data(patient={"name": "Jane Doe", "birth_date": "1970-04-15", "sex": "F"})).status == "paid"


def test_payer_without_a_roster_skips_the_identity_check():
    remit = run(claim_data(coverage={"member_id": "ZZ000001"}), payer=sample_payer(members=[]))
    assert remit.status == "paid"


# ----------------------------------------------------------------------------- COB (22, MA04)


def test_other_payer_primary_denies_co22():
    remit = run(payer=payer_with(primary_payer="Acme Employer Plan"))
    assert remit.status == "denied"
    assert remit.carcs == ("22",)
    assert "Acme Employer Plan" in remit.explanations[0]


def test_secondary_without_primary_payment_is_co16_ma04():
    data = claim_data(coverage={"member_id": "AB123456", "payer_order": "secondary", "other_coverage": True})
    remit = run(data, payer=payer_with(primary_payer="Acme"))
    assert remit.carcs == ("16",) and remit.rarcs == ("MA04",)


def test_secondary_with_primary_payment_is_paid_after_oa23():
    data = claim_data(coverage={"member_id": "AB123456", "payer_order": "secondary", "other_coverage": True,
                                "other_payer_paid": "100.00"})
    remit = run(data, payer=payer_with(primary_payer="Acme"))
    assert remit.status == "paid"
    first = remit.lines[0]  # allowed 126: deductible 50 + coinsurance 15.20, normal payment 60.80
    assert [str(a) for a in first.adjustments] == ["CO-45 74.00", "OA-23 100.00"]
    assert first.paid == Decimal("26.00")  # 126 allowed - 100 the primary paid
    assert first.patient_responsibility == 0
    for line in remit.lines:  # every line still balances
        assert line.charge == line.paid + sum(a.amount for a in line.adjustments)


# ----------------------------------------------------------------------------- coverage dates (26/27)


def test_service_before_coverage_began_is_pr26():
    remit = run(payer=payer_with(coverage_start="2026-03-11"))
    assert remit.status == "denied"
    assert {str(a) for a in remit.adjustments} >= {"PR-26 200.00"}
    assert remit.carcs == ("26",)


def test_service_after_coverage_ended_is_pr27():
    remit = run(payer=payer_with(coverage_end="2026-03-09"))
    assert remit.carcs == ("27",)
    assert remit.patient_responsibility == Decimal("420.00")


def test_service_on_first_and_last_covered_day_is_paid():
    assert run(payer=payer_with(coverage_start="2026-03-10", coverage_end="2026-03-10")).status == "paid"


def test_coverage_dates_are_per_line():
    data = claim_data()
    data["lines"][3]["date_of_service"] = "2026-03-12"
    remit = run(data, payer=payer_with(coverage_end="2026-03-11"))
    assert remit.status == "partially_paid"
    assert remit.lines[3].carcs == ("27",)


# ----------------------------------------------------------------------------- timely filing (29)


def test_claim_received_on_the_last_day_is_on_time():
    # 180-day limit; DOS 2026-03-10 + 180 days = 2026-09-06
    data = claim_data(receipt_date="2026-09-06")
    assert run(data, as_of=dt.date(2026, 9, 10)).status == "paid"


def test_claim_received_a_day_late_is_co29():
    data = claim_data(receipt_date="2026-09-07")
    remit = run(data, as_of=dt.date(2026, 9, 10))
    assert remit.status == "denied"
    assert {a.group + "-" + a.carc for a in remit.adjustments} == {"CO-29"}
    assert "181 days" in remit.lines[0].explanations[0]


def test_proof_of_timely_filing_overturns_the_denial():
    data = claim_data(receipt_date="2026-10-01", timely_filing_proof="2026-08-30")
    assert run(data, as_of=dt.date(2026, 10, 2)).status == "paid"


def test_proof_dated_after_the_limit_does_not_help():
    data = claim_data(receipt_date="2026-10-01", timely_filing_proof="2026-09-30")
    assert run(data, as_of=dt.date(2026, 10, 2)).carcs == ("29",)


def test_member_record_added_with_with_members():
    payer = sample_payer(members=[]).with_members(Member.from_dict(JANE))
    assert "AB123456" in payer.members
    assert run(payer=payer).status == "paid"
