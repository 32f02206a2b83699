"""Sample data builders (factories) for tests, benchmarks and docs: a small code set, payer and claim."""
from __future__ import annotations

import copy
from typing import Any

from app.claims.codeset import MemoryCodeSet
from app.claims.model import Claim
from app.claims.payer import PayerProfile, payer_from_dict

#: A valid NPI (check digit passes) and a second one for a rendering provider.
NPI = "1234567893"
NPI_2 = "1245319599"

SAMPLE_CODES = {
    "icd10cm": ["M17.11", "M17.12", "E11.9", "E11.65", "I10", "L57.0", "L82.1", "J02.9", "J06.9", "R73.03",
                "O80", "Z34.00", "N40.0", "P07.30", "Z41.1", "M54.50", "E66.811", "Z00.00", "Z00.01", "Z12.5", "Z38.00", "Z00.129", "Z34.01",
                "S83.241A", "M25.561"],
    "cpt": ["99203", "99213", "99214", "99396", "99397", "99281", "99283", "20610", "20611", "76942", "96372",
            "11102", "17000", "17003", "11042", "97597", "97110", "83036", "87880", "72148", "55700", "57452",
            "80053", "82947", "99201", "15780", "29881", "10060", "11200", "11201"],
    "hcpcs": ["J3301", "G2211", "G0102"],
    "modifier": ["24", "25", "57", "58", "59", "78", "79", "XS", "XE", "XP", "XU", "RT", "LT", "50", "GA", "GY",
                 "76", "26", "TC", "95", "FS"],
    "pos": ["02", "10", "11", "21", "22", "23"],
}
SAMPLE_HEADERS = {"M17.1": "a 5th character (which knee)", "E11": "a 4th character"}


def sample_codes() -> MemoryCodeSet:
    return MemoryCodeSet(SAMPLE_CODES, SAMPLE_HEADERS)


SAMPLE_PAYER: dict[str, Any] = {
    "slug": "sample",
    "name": "Sample Payer",
    "practice_data": "Test data, not real rates or CMS files.",
    "timely_filing_days": 180,
    "member_id_pattern": "^[A-Z]{2}[0-9]{6}$",
    "benefits": {"deductible": "500.00", "coinsurance_percent": 20,
                 "copay": {"amount": "0.00", "applies_to": []}},
    "fee_schedule": {
        "99203": "110.00", "99213": "90.00", "99214": "126.00", "99396": "150.00", "99397": "160.00",
        "99281": "21.00", "99283": "71.00", "20610": "60.00", "20611": "80.00", "76942": "32.00",
        "96372": "14.00", "11102": "97.00", "17000": "61.00", "17003": "6.00", "11042": "124.00",
        "97597": "81.00", "97110": "29.00", "83036": "10.00", "87880": "14.00", "72148": "208.00",
        "55700": "188.00", "57452": "104.00", "80053": "11.00", "82947": "4.00", "J3301": "1.80",
        "G2211": "16.00", "G0102": "20.00", "99201": "45.00", "15780": "300.00", "29881": "520.00",
        "10060": "118.00", "11200": "92.00", "11201": "20.00",
    },
    "non_covered": ["15780"],
    "plan_exclusions": {"Bronze": ["97110"]},
    "prior_auth": ["72148"],
    "medical_necessity": {"carc": "50", "rules": [
        {"procedures": ["83036"], "diagnoses": ["E08-E13", "R73"]},
    ]},
    "non_covered_diagnoses": ["Z41.1"],
    "required_modifiers": [{"codes": ["20610", "20611"], "one_of": ["RT", "LT", "50"]}],
    "place_of_service_rules": [
        {"codes": ["99281-99285"], "allowed": ["23"]},
        {"codes": ["99202-99215"], "not_allowed": ["21", "23"]},
    ],
    "pair_edits": [
        {"column1": "20611", "column2": "76942", "modifier_indicator": 0},
        {"column1": "17000", "column2": "11102", "modifier_indicator": 1},
        {"column1": "20610", "column2": "99213", "modifier_indicator": 1},
        {"column1": "20610", "column2": "99214", "modifier_indicator": 1},
    ],
    "unit_limits": {"97110": 4, "J3301": 8, "17003": 13},
    "multiple_procedure_reduction": {"enabled": True, "percents": [100, 50, 50],
                                     "applies_to": ["10004-69990"], "exempt": ["17003"]},
    "members": [
        {"member_id": "AB123456", "name": "Doe, Jane", "birth_date": "1970-04-15", "sex": "F",
         "plan": "Gold", "coverage_start": "2025-01-01", "deductible_met": "450.00"},
    ],
}


def sample_payer(**overrides: Any) -> PayerProfile:
    """The sample payer; keyword arguments replace top-level fields of its data."""
    data = copy.deepcopy(SAMPLE_PAYER)
    data.update(overrides)
    return payer_from_dict(data)


SAMPLE_CLAIM: dict[str, Any] = {
    "claim_id": "CLM-1001",
    "patient": {"name": "Doe, Jane", "birth_date": "1970-04-15", "sex": "F"},
    "coverage": {"member_id": "AB123456", "plan": "Gold", "relationship": "self"},
    "billing_provider": {"name": "Maple Street Clinic", "npi": NPI, "tax_id": "12-3456789"},
    "place_of_service": "11",
    "diagnoses": ["M17.11", "E11.9"],
    "receipt_date": "2026-03-20",
    "lines": [
        {"date_of_service": "2026-03-10", "code": "99214", "modifiers": ["25"], "pointers": ["A", "B"],
         "charge": "200.00"},
        {"date_of_service": "2026-03-10", "code": "20610", "modifiers": ["RT"], "pointers": ["A"],
         "charge": "150.00"},
        {"date_of_service": "2026-03-10", "code": "J3301", "pointers": ["A"], "charge": "40.00", "units": 4},
        {"date_of_service": "2026-03-10", "code": "96372", "pointers": ["A"], "charge": "30.00"},
    ],
}


def claim_data(**overrides: Any) -> dict[str, Any]:
    """A deep copy of the sample claim's plain data with top-level fields replaced."""
    data = copy.deepcopy(SAMPLE_CLAIM)
    data.update(overrides)
    return data


def sample_claim(**overrides: Any) -> Claim:
    """The sample claim (a clean four-line knee-injection visit) with top-level fields replaced."""
    return Claim.from_dict(claim_data(**overrides))
