"""Claim engine, stage 1: front-end (clearinghouse) edits reject a claim before adjudication."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.claims import Claim, adjudicate  # noqa: E402
from app.claims.samples import claim_data, sample_codes, sample_payer  # noqa: E402

AS_OF = dt.date(2026, 3, 25)
PAYER = sample_payer()
CODES = sample_codes()


def run(data):
    return adjudicate(Claim.from_dict(data), PAYER, AS_OF, CODES)


def rejected_by(remit):
    return {m.rule for m in remit.rejections}


def with_line(n: int, **fields):
    data = claim_data()
    data["lines"][n].update(fields)
    return data


def test_clean_claim_passes_every_front_end_edit():
    remit = run(claim_data())
    assert remit.status == "paid"
    assert remit.rejections == ()


def test_rejection_is_not_adjudicated_and_says_so():
    remit = run(claim_data(coverage={"member_id": ""}))
    assert remit.status == "rejected"
    assert remit.lines == () and remit.paid == 0
    assert remit.carcs == ("16",)
    assert "MA130" in remit.rarcs
    assert "no appeal rights" in remit.explanations[0]


def test_all_front_end_problems_are_reported_together():
    data = claim_data(coverage={"member_id": ""}, billing_provider={"name": "X", "npi": "1234567890",
                                                                     "tax_id": "12-3456789"})
    remit = run(data)
    assert {"fe-member-id", "fe-npi"} <= rejected_by(remit)


@pytest.mark.parametrize("member_id, ok", [("AB123456", True), ("", False), ("AB12345", False),
                                           ("A1234567", False)])
def test_member_id_missing_or_malformed(member_id, ok):
    remit = run(claim_data(coverage={"member_id": member_id, "plan": "Gold"}))
    assert ("fe-member-id" in rejected_by(remit)) is not ok
    if not ok:
        msg = next(m for m in remit.rejections if m.rule == "fe-member-id")
        assert msg.box == "1a" and msg.rarc == ("MA130",)


@pytest.mark.parametrize("npi, ok", [("1234567893", True), ("1234567894", False), ("123456789", False),
                                     ("", False)])
def test_billing_npi_format_and_check_digit(npi, ok):
    remit = run(claim_data(billing_provider={"name": "Clinic", "npi": npi, "tax_id": "123456789"}))
    assert ("fe-npi" in rejected_by(remit)) is not ok
    if not ok:
        assert "N290" in remit.rarcs


def test_rendering_and_referring_npi_are_checked_too():
    remit = run(claim_data(rendering_provider={"name": "Dr R", "npi": "1245319590"}))
    assert [m.box for m in remit.rejections] == ["24J"]
    remit = run(claim_data(referring_provider={"name": "Dr F", "npi": "1245319599"}))
    assert remit.status == "paid"


@pytest.mark.parametrize("tax_id, ok", [("12-3456789", True), ("123456789", True), ("1234", False), ("", False)])
def test_tax_id(tax_id, ok):
    remit = run(claim_data(billing_provider={"name": "Clinic", "npi": "1234567893", "tax_id": tax_id}))
    assert ("fe-tax-id" in rejected_by(remit)) is not ok


def test_patient_birth_date_name_and_sex():
    assert "fe-patient" in rejected_by(run(claim_data(patient={"name": "Doe, Jane", "sex": "F"})))
    assert "fe-patient" in rejected_by(run(claim_data(patient={"name": "", "birth_date": "1970-04-15",
                                                               "sex": "F"})))
    assert "fe-patient" in rejected_by(run(claim_data(patient={"name": "Doe, Jane", "birth_date": "2027-01-01",
                                                               "sex": "F"})))
    assert "fe-patient" in rejected_by(run(claim_data(patient={"name": "Doe, Jane", "birth_date": "1970-04-15",
                                                               "sex": "X"})))


@pytest.mark.parametrize("fields, rarc", [
    ({"date_of_service": None}, "M52"),
    ({"date_of_service": "2026-03-21"}, "M52"),                            # after the receipt date
    ({"date_of_service": "2026-03-10", "date_to": "2026-03-09"}, "M59"),   # to before from
    ({"date_of_service": "2026-03-10", "date_to": "2026-04-01"}, "M59"),   # to in the future
])
def test_bad_dates_reject(fields, rarc):
    remit = run(with_line(0, **fields))
    assert "fe-dates" in rejected_by(remit)
    assert rarc in remit.rarcs


def test_date_span_in_the_past_is_fine():
    assert run(with_line(0, date_to="2026-03-11")).status == "paid"


def test_future_date_is_measured_from_as_of_when_no_receipt_date():
    data = claim_data(receipt_date=None)
    data["lines"][0]["date_of_service"] = "2026-03-26"
    assert "fe-dates" in rejected_by(run(data))


def test_no_diagnosis_rejects():
    data = claim_data(diagnoses=[])
    remit = run(data)
    assert "fe-no-diagnosis" in rejected_by(remit)
    assert "M76" in remit.rarcs


def test_more_than_twelve_diagnoses_rejects():
    remit = run(claim_data(diagnoses=["I10"] * 13))
    assert "fe-no-diagnosis" in rejected_by(remit)


def test_pointer_to_an_empty_slot_rejects():
    remit = run(with_line(1, pointers=["C"]))
    msg = next(m for m in remit.rejections if m.rule == "fe-pointer")
    assert msg.line_number == 2 and "empty" in msg.message and msg.box == "24E"


@pytest.mark.parametrize("pointers", [[], ["A", "B", "A", "B", "A"], ["1"]])
def test_missing_too_many_or_numeric_pointers_reject(pointers):
    assert "fe-pointer" in rejected_by(run(with_line(0, pointers=pointers)))


def test_unknown_icd_code_rejects_with_m76():
    remit = run(claim_data(diagnoses=["M17.11", "E11.99"]))
    assert rejected_by(remit) == {"fe-diagnosis-code"}
    assert "M76" in remit.rarcs


def test_header_icd_code_rejects_and_says_what_is_missing():
    remit = run(claim_data(diagnoses=["M17.1", "E11.9"]))
    msg = remit.rejections[0]
    assert msg.rule == "fe-diagnosis-code" and "header" in msg.message and "5th character" in msg.message


def test_invalid_place_of_service_rejects_with_m77():
    remit = run(claim_data(place_of_service="99"))
    assert rejected_by(remit) == {"fe-pos"}
    assert "M77" in remit.rarcs
    assert run(claim_data(place_of_service="")).status == "rejected"


def test_line_pos_overrides_the_claim_pos():
    assert "fe-pos" in rejected_by(run(with_line(0, place_of_service="7")))


@pytest.mark.parametrize("code", ["99999", "1234", "ZZ123", ""])
def test_unknown_procedure_code_rejects_with_m51(code):
    remit = run(with_line(0, code=code))
    assert "fe-procedure-code" in rejected_by(remit)
    assert "M51" in remit.rarcs


def test_unknown_modifier_or_more_than_four_rejects():
    assert "fe-modifier" in rejected_by(run(with_line(0, modifiers=["QQ"])))
    assert "fe-modifier" in rejected_by(run(with_line(0, modifiers=["25", "59", "RT", "LT", "76"])))


@pytest.mark.parametrize("fields", [{"units": 0}, {"charge": "0"}, {"charge": "-5"}])
def test_units_and_charges(fields):
    assert "fe-units-charge" in rejected_by(run(with_line(0, **fields)))


def test_replacement_needs_the_original_claim_reference():
    assert "fe-frequency" in rejected_by(run(claim_data(frequency_code="7")))
    assert "fe-frequency" in rejected_by(run(claim_data(frequency_code="5")))
    assert run(claim_data(frequency_code="7", original_claim_ref="PAYER-1")).status == "paid"


def test_void_with_reference_is_accepted_without_payment():
    remit = run(claim_data(frequency_code="8", original_claim_ref="PAYER-1"))
    assert remit.status == "paid" and remit.paid == 0
    assert "Void accepted" in remit.explanations[0]


def test_no_lines_rejects():
    assert "fe-no-lines" in rejected_by(run(claim_data(lines=[])))
