"""Facts the 2026 audit corrected in the shipped content (issue 11), each pinned to its source."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


def _item(domain: str, qid: str) -> dict:
    data = yaml.safe_load((CONTENT / "questions" / f"{domain}.yml").read_text(encoding="utf-8"))
    return next(q for q in data["questions"] if q["id"] == qid)


def test_comp_009_teaches_the_180_day_suspension_of_the_60_day_clock():
    item = _item("compliance", "comp-009")
    right = item["choices"][item["answer"]]
    assert "60 days" in right["text"]
    assert "180 days" in right["why"] and "good-faith investigation" in right["why"] and "401.305" in right["why"]


def test_overpayment_lesson_teaches_the_180_day_suspension_with_its_source():
    text = (CONTENT / "lessons" / "billing" / "06-compliance-essentials.md").read_text(encoding="utf-8")
    para = next(l for l in text.splitlines() if "**Overpayments**" in l)
    for phrase in ("60 days", "up to 180 days", "timely, good-faith investigation", "42 CFR 401.305",
                   "CY 2025 Physician Fee Schedule final rule"):
        assert phrase in para


def test_m76_is_never_taught_as_a_diagnosis_that_does_not_support_the_service():
    """RARC M76: missing/incomplete/invalid diagnosis or condition (a data error); CARC 11 is the mismatch."""
    for path in list(CONTENT.rglob("*.md")) + list(CONTENT.rglob("*.yml")) + list((ROOT / "docs").rglob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "M76" in line:
                assert not re.search(r"doesn't support|does not support|not support", line), f"{path}: {line}"
    from app.claims.remittance import RARC_TEXT
    assert "missing, incomplete or invalid diagnosis" in RARC_TEXT["M76"]


def test_icd_021_every_rationale_follows_guideline_I_C_2_c():
    item = _item("icd10cm", "icd-021")
    for choice in item["choices"]:
        codes = [c.strip() for c in choice["text"].split(",")]
        if "T45.1X5A" in codes:  # the chemotherapy pattern: anemia, then neoplasm, then T45.1X5-
            assert codes == ["D64.81", "C18.9", "T45.1X5A"]
            assert "I.C.2.c.2" in choice["why"]
    right = item["choices"][item["answer"]]
    assert right["text"] == "C18.9, D63.0" and "I.C.2.c.1" in right["why"]
