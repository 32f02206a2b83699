"""Claim engine, stage 1: front-end (clearinghouse) edits reject a claim before adjudication.

A rejection comes back as an acknowledgment (277CA style): claim status category (X12 list 507:
A6 missing, A7 invalid information) and claim status codes (X12 list 508) naming the field, with
the CMS-1500 box; never a CARC, a RARC or an 835."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.claims import Acknowledgment, Claim, adjudicate  # noqa: E402
from app.claims.codeset import MemoryCodeSet  # noqa: E402
from app.claims.samples import SAMPLE_CODES  # noqa: E402
from app.claims.samples import claim_data, sample_codes, sample_payer  # noqa: E402

AS_OF = dt.date(2026, 3, 25)
PAYER = sample_payer()
CODES = sample_codes()


def run(data):
    return adjudicate(Claim.from_dict(data), PAYER, AS_OF, CODES)


def rejected_by(answer):
    return {m.rule for m in getattr(answer, "errors", ())}


def error(answer, rule):
    return next(m for m in answer.errors if m.rule == rule)


def with_line(n: int, **fields):
    data = claim_data()
    data["lines"][n].update(fields)
    return data


def test_clean_claim_passes_every_front_end_edit():
    remit = run(claim_data())
    assert remit.status == "paid" and remit.kind == "remittance"
    assert not isinstance(remit, Acknowledgment)


def test_rejection_is_an_acknowledgment_not_a_remittance():
    ack = run(claim_data(coverage={"member_id": ""}))
    assert isinstance(ack, Acknowledgment) and ack.status == "rejected"
    assert ack.lines == () and ack.paid == 0
    assert ack.carcs == () and ack.rarcs == ()          # no CARC, no RARC: nothing was adjudicated
    assert ack.categories == ("A6",) and ack.status_codes == ("164",)
    assert ack.errors[0].entity == "IL" and ack.errors[0].box == "1a"
    data = ack.to_dict()
    assert data["kind"] == "acknowledgment" and "lines" not in data and "claim_adjustments" not in data
    assert data["errors"][0]["status_code"] == "164"
    assert "nothing to appeal" in ack.explanations[0]


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
        msg = error(remit, "fe-member-id")
        assert msg.box == "1a" and msg.status_code == "164" and msg.entity == "IL"
        assert msg.category == ("A6" if not member_id else "A7")


@pytest.mark.parametrize("npi, ok", [("1234567893", True), ("1234567894", False), ("123456789", False),
                                     ("", False)])
def test_billing_npi_format_and_check_digit(npi, ok):
    remit = run(claim_data(billing_provider={"name": "Clinic", "npi": npi, "tax_id": "123456789"}))
    assert ("fe-npi" in rejected_by(remit)) is not ok
    if not ok:
        msg = error(remit, "fe-npi")
        assert (msg.status_code, msg.entity, msg.box) == ("562", "85", "33a")
        assert msg.category == ("A6" if not npi else "A7")


def test_rendering_and_referring_npi_are_checked_too():
    remit = run(claim_data(rendering_provider={"name": "Dr R", "npi": "1245319590"}))
    assert [(m.box, m.status_code, m.entity) for m in remit.errors] == [("24J", "562", "82")]
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


@pytest.mark.parametrize("fields, category", [
    ({"date_of_service": None}, "A6"),
    ({"date_of_service": "2026-03-21"}, "A7"),                            # after the receipt date
    ({"date_of_service": "2026-03-10", "date_to": "2026-03-09"}, "A7"),   # to before from
    ({"date_of_service": "2026-03-10", "date_to": "2026-04-01"}, "A7"),   # to in the future
])
def test_bad_dates_reject(fields, category):
    remit = run(with_line(0, **fields))
    msg = error(remit, "fe-dates")
    assert (msg.category, msg.status_code, msg.box, msg.line_number) == (category, "187", "24A", 1)


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
    msg = error(remit, "fe-no-diagnosis")
    assert (msg.category, msg.status_code) == ("A6", "254")
    assert "477" in remit.status_codes   # and the pointers now point at empty slots


def test_more_than_twelve_diagnoses_rejects():
    remit = run(claim_data(diagnoses=["I10"] * 13))
    assert "fe-no-diagnosis" in rejected_by(remit)


def test_pointer_to_an_empty_slot_rejects():
    remit = run(with_line(1, pointers=["C"]))
    msg = error(remit, "fe-pointer")
    assert msg.line_number == 2 and "empty" in msg.message and msg.box == "24E" and msg.status_code == "477"


@pytest.mark.parametrize("pointers", [[], ["A", "B", "A", "B", "A"], ["1"]])
def test_missing_too_many_or_numeric_pointers_reject(pointers):
    assert "fe-pointer" in rejected_by(run(with_line(0, pointers=pointers)))


def test_unknown_icd_code_rejects_naming_the_diagnosis_slot():
    remit = run(claim_data(diagnoses=["M17.11", "E11.99"]))
    assert rejected_by(remit) == {"fe-diagnosis-code"}
    assert (remit.categories, remit.status_codes) == (("A7",), ("255",))   # slot B: a diagnosis code
    remit = run(claim_data(diagnoses=["E11.99", "M17.11"]))
    assert remit.status_codes == ("254",)                                  # slot A: the first-listed one


def test_header_icd_code_rejects_and_says_what_is_missing():
    remit = run(claim_data(diagnoses=["M17.1", "E11.9"]))
    msg = remit.errors[0]
    assert msg.rule == "fe-diagnosis-code" and "header" in msg.message and "5th character" in msg.message


@pytest.mark.parametrize("detail", [
    "a 5th character (which knee)",                                # a noun, as small code sets word it
    "needs more characters (a 5th character): pick one of M17.10, M17.11, M17.12",   # the code book's sentence
])
def test_header_message_says_needs_once_whatever_the_code_set_wording(detail):
    codes = MemoryCodeSet(SAMPLE_CODES, {"M17.1": detail})
    remit = adjudicate(Claim.from_dict(claim_data(diagnoses=["M17.1", "E11.9"])), PAYER, AS_OF, codes)
    message = remit.errors[0].message
    assert "needs needs" not in message and message.count("needs") == 1
    assert "— it needs" in message and "5th character" in message


def test_invalid_place_of_service_rejects_with_status_code_249():
    remit = run(claim_data(place_of_service="99"))
    assert rejected_by(remit) == {"fe-pos"}
    assert remit.status_codes == ("249",) and remit.boxes == ("24B",)
    assert run(claim_data(place_of_service="")).status == "rejected"


def test_line_pos_overrides_the_claim_pos():
    assert "fe-pos" in rejected_by(run(with_line(0, place_of_service="7")))


@pytest.mark.parametrize("code", ["99999", "1234", "ZZ123", ""])
def test_unknown_procedure_code_rejects_with_status_code_454(code):
    remit = run(with_line(0, code=code))
    assert "fe-procedure-code" in rejected_by(remit)
    assert "454" in remit.status_codes and remit.carcs == ()


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


# Every front-end edit, the status code it answers with, the box and the category (table-driven).
@pytest.mark.parametrize("data, rule, code, box, category", [
    (claim_data(lines=[]), "fe-no-lines", "247", "24", "A6"),
    (claim_data(coverage={"member_id": "A1"}), "fe-member-id", "164", "1a", "A7"),
    (claim_data(patient={"name": "", "birth_date": "1970-04-15", "sex": "F"}), "fe-patient", "125", "2", "A6"),
    (claim_data(patient={"name": "Doe, Jane", "sex": "F"}), "fe-patient", "158", "3", "A6"),
    (claim_data(patient={"name": "Doe, Jane", "birth_date": "1970-04-15", "sex": "X"}), "fe-patient", "157", "3",
     "A7"),
    (claim_data(billing_provider={"name": "C", "npi": "1234567893", "tax_id": ""}), "fe-tax-id", "128", "25",
     "A6"),
    (claim_data(diagnoses=[]), "fe-no-diagnosis", "254", "21", "A6"),
    (with_line(0, pointers=[]), "fe-pointer", "477", "24E", "A6"),
    (with_line(0, modifiers=["QQ"]), "fe-modifier", "453", "24D", "A7"),
    (with_line(0, units=0), "fe-units-charge", "476", "24G", "A7"),
    (with_line(0, charge="0"), "fe-units-charge", "583", "24F", "A7"),
    (claim_data(frequency_code="5"), "fe-frequency", "535", "22", "A7"),
    (claim_data(frequency_code="7"), "fe-frequency", "464", "22", "A6"),
])
def test_each_front_end_edit_answers_with_its_claim_status_code(data, rule, code, box, category):
    from app.claims.remittance import CATEGORY_TEXT, STATUS_CODE_TEXT
    from app.claims.rules import REGISTRY

    msg = error(run(data), rule)
    assert (msg.status_code, msg.box, msg.category) == (code, box, category)
    assert code in REGISTRY[rule].status_codes
    assert code in STATUS_CODE_TEXT and category in CATEGORY_TEXT   # our words for every code sent
