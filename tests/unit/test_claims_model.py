"""Claim engine: the claim model (round trips, money, dates), NPI check digits, the rule registry."""
from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.claims import REGISTRY, Claim, ServiceLine, rules  # noqa: E402
from app.claims.model import money, normalize_icd, parse_date  # noqa: E402
from app.claims.rules import CLAIM, FRONT_END, LINE, npi_valid  # noqa: E402
from app.claims.samples import NPI, SAMPLE_CLAIM, claim_data, sample_claim  # noqa: E402


def test_claim_round_trips_through_dict_json_and_yaml():
    claim = sample_claim()
    assert Claim.from_dict(claim.to_dict()) == claim
    assert Claim.from_dict(json.loads(json.dumps(claim.to_dict()))) == claim
    assert Claim.from_dict(yaml.safe_load(yaml.safe_dump(claim.to_dict()))) == claim


def test_round_trip_keeps_every_optional_field():
    data = claim_data(
        rendering_provider={"name": "Dr. A. Rivera", "npi": "1245319599"},
        referring_provider={"name": "Dr. B. Chen", "npi": NPI},
        frequency_code="7", original_claim_ref="PAYER-998877", prior_auth="PA-42",
        timely_filing_proof="2026-03-25",
        coverage={"member_id": "ab123456", "plan": "Gold", "relationship": "child", "other_coverage": True,
                  "other_payer": "Acme Health", "payer_order": "secondary", "other_payer_paid": "12.5",
                  "subscriber_name": "Doe, John"},
    )
    data["lines"][0]["date_to"] = "2026-03-11"
    data["lines"][0]["place_of_service"] = "22"
    data["lines"][0]["prior_auth"] = "PA-7"
    claim = Claim.from_dict(data)
    assert claim.coverage.member_id == "AB123456"  # normalised to upper case
    assert claim.coverage.other_payer_paid == Decimal("12.50")
    assert Claim.from_dict(claim.to_dict()) == claim


def test_web_form_spellings_are_accepted():
    line = ServiceLine.from_dict({"date_of_service": "2026-01-05", "code": " 99213 ", "modifiers": "25, rt",
                                  "pointers": "a,b", "charge": "$1,250.5", "units": "2"})
    assert line.code == "99213"
    assert line.modifiers == ("25", "RT")
    assert line.pointers == ("A", "B")
    assert line.charge == Decimal("1250.50")
    assert line.units == 2


def test_diagnoses_may_be_given_by_slot_letter():
    claim = Claim.from_dict(claim_data(diagnoses={"A": "m1711", "B": "E11.9"}))
    assert claim.diagnoses == ("M17.11", "E11.9")
    assert claim.diagnosis("B") == "E11.9"
    assert claim.diagnosis("C") is None


@pytest.mark.parametrize("raw, cents", [("10", "10.00"), ("0.005", "0.01"), ("2.675", "2.68"),
                                        (Decimal("1.005"), "1.01"), (3, "3.00"), (0.1, "0.10"),
                                        ("$1,250.50", "1250.50"), (" 7 ", "7.00"), (".5", "0.50")])
def test_money_rounds_half_up_to_cents(raw, cents):
    assert money(raw) == Decimal(cents)


def test_bad_money_and_dates_raise_value_error():
    with pytest.raises(ValueError):
        money("ten dollars")
    with pytest.raises(ValueError):
        parse_date("03/10/2026")
    with pytest.raises(ValueError):
        ServiceLine.from_dict({"code": "99213", "charge": "1", "units": "two"})
    assert parse_date("") is None


def test_normalize_icd_inserts_the_dot():
    assert normalize_icd("e1122") == "E11.22"
    assert normalize_icd(" I10 ") == "I10"


def test_patient_age_counts_birthdays():
    p = sample_claim().patient  # born 1970-04-15
    assert p.age_on(dt.date(2026, 4, 14)) == 55
    assert p.age_on(dt.date(2026, 4, 15)) == 56


@pytest.mark.parametrize("npi, ok", [
    ("1234567893", True),   # the standard worked example
    ("1245319599", True),
    ("1234567890", False),  # wrong check digit
    ("123456789", False),   # nine digits
    ("12345678931", False),
    ("12345A7893", False),
    ("", False),
])
def test_npi_check_digit_uses_luhn_with_80840_prefix(npi, ok):
    assert npi_valid(npi) is ok


def test_registry_has_unique_ids_in_stage_order():
    assert len(REGISTRY) == len(set(REGISTRY))
    stages = [r.stage for r in REGISTRY.values()]
    assert stages == sorted(stages, key=[FRONT_END, CLAIM, LINE].index)
    for rule in REGISTRY.values():
        # adjudication rules answer with CARCs; front-end edits with claim status codes, never a CARC
        if rule.stage == FRONT_END:
            assert rule.title and rule.status_codes and not rule.carcs, rule.id
        else:
            assert rule.title and rule.carcs, rule.id


def test_every_domain_carc_has_a_rule_or_a_pricing_step():
    produced = {c for r in REGISTRY.values() for c in r.carcs} | {"1", "2", "3", "45"}
    domain = {"1", "2", "3", "4", "5", "6", "7", "9", "10", "11", "16", "18", "22", "26", "27", "29", "31",
              "45", "50", "96", "97", "146", "151", "167", "181", "182", "197", "204"}
    assert domain <= produced


def test_line_rules_run_in_documented_order():
    ids = [r.id for r in rules(LINE)]
    assert ids.index("coverage-dates") < ids.index("timely-filing") < ids.index("pair-edit") < ids.index("prior-auth")


def test_sample_claim_is_unchanged_by_builders():
    sample_claim(claim_id="X")
    assert SAMPLE_CLAIM["claim_id"] == "CLM-1001"


@pytest.mark.parametrize("raw", ["NaN", "inf", "-Infinity", "sNaN", "1e999999", "100000000.00",
                                 # exponent forms and digits of other scripts are no amount a biller types
                                 "1e2", "1E-2", "١٢٠", "１２０", "1_000", "9" * 5000, "1 000", ""])
def test_money_refuses_non_finite_and_absurd_amounts(raw):
    from app.claims.model import money
    with pytest.raises(ValueError, match="not an amount of money"):
        money(raw)


@pytest.mark.parametrize("raw", ["-0", "-0.00", "-.0"])
def test_negative_zero_money_is_zero(raw):
    assert str(money(raw)) == "0.00"
