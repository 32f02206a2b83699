"""Claim engine, pricing: fee schedule, CO-45, deductible, coinsurance, copay, MPR; statuses; payer files."""
from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.claims import Claim, adjudicate, load_payer, load_payers  # noqa: E402
from app.claims.payer import PayerError  # noqa: E402
from app.claims.samples import claim_data, sample_claim, sample_codes, sample_payer  # noqa: E402

AS_OF = dt.date(2026, 3, 25)
CODES = sample_codes()
PAYERS_DIR = ROOT / "content" / "payers"
D = Decimal


def line(code, modifiers=(), charge="100.00", units=1, pointers=("A",), dos="2026-03-10"):
    return {"date_of_service": dos, "code": code, "modifiers": list(modifiers), "pointers": list(pointers),
            "charge": charge, "units": units}


def run(c=None, payer=None, **kw):
    return adjudicate(c or sample_claim(), payer or sample_payer(), AS_OF, CODES, **kw)


def adj(remit_line):
    return [str(a) for a in remit_line.adjustments]


def balanced(remit) -> bool:
    return remit.total_charge == remit.paid + sum((a.amount for a in remit.adjustments), D("0"))


def test_clean_claim_is_paid_to_the_cent():
    """$500 deductible with $450 met, 20% coinsurance, fee schedule below the charges."""
    remit = run()
    assert remit.status == "paid"
    l1, l2, l3, l4 = remit.lines
    # 99214: allowed 126.00; the last $50 of deductible, then 20% of 76.00
    assert adj(l1) == ["CO-45 74.00", "PR-1 50.00", "PR-2 15.20"]
    assert (l1.allowed, l1.paid) == (D("126.00"), D("60.80"))
    # 20610: allowed 60.00, deductible now met
    assert adj(l2) == ["CO-45 90.00", "PR-2 12.00"] and l2.paid == D("48.00")
    # J3301 x 4 units at 1.80
    assert adj(l3) == ["CO-45 32.80", "PR-2 1.44"] and l3.paid == D("5.76")
    assert adj(l4) == ["CO-45 16.00", "PR-2 2.80"] and l4.paid == D("11.20")
    assert remit.total_charge == D("420.00")
    assert remit.allowed == D("207.20")
    assert remit.paid == D("125.76")
    assert remit.patient_responsibility == D("81.44")
    assert balanced(remit)
    assert "$50.00 applied to the deductible (PR-1)" in " ".join(l1.explanations)
    assert "paid $125.76, patient owes $81.44" in remit.explanations[0]


def test_deductible_not_met_at_all_takes_the_allowed_amounts_in_line_order():
    payer = sample_payer(members=[{"member_id": "AB123456", "name": "Doe, Jane", "birth_date": "1970-04-15",
                                   "plan": "Gold", "deductible_met": "0"}])
    remit = run(payer=payer)
    assert [x.paid for x in remit.lines] == [D("0.00"), D("0.00"), D("0.00"), D("0.00")]
    assert remit.patient_responsibility == D("207.20")
    assert remit.status == "paid"  # processed, applied to the deductible: not a denial


def test_charge_below_the_fee_schedule_is_the_allowed_amount():
    remit = run(Claim.from_dict(claim_data(lines=[line("99213", charge="80.00")], diagnoses=["I10"])))
    assert remit.lines[0].allowed == D("80.00")
    assert adj(remit.lines[0]) == ["PR-1 50.00", "PR-2 6.00"]


def test_coinsurance_rounds_half_up():
    payer = sample_payer(benefits={"deductible": "0", "coinsurance_percent": 25})
    remit = run(Claim.from_dict(claim_data(lines=[line("99213", charge="10.10")], diagnoses=["I10"])), payer)
    assert adj(remit.lines[0]) == ["PR-2 2.53"]  # 2.525 -> 2.53
    assert remit.lines[0].paid == D("7.57")


def test_copay_on_each_visit_day_instead_of_deductible_and_coinsurance():
    payer = sample_payer(benefits={"deductible": "500", "coinsurance_percent": 20,
                                   "copay": {"amount": "30.00", "applies_to": ["99202-99215"]}})
    # 25: a separate visit the day of the minor procedure; 24: an unrelated visit in its 10-day global period
    c = Claim.from_dict(claim_data(lines=[line("99213", ["25"], charge="150.00"), line("17000", charge="120.00"),
                                          line("99214", ["24"], charge="150.00", dos="2026-03-12")],
                                   diagnoses=["L57.0"]))
    remit = run(c, payer)
    v1, proc, v2 = remit.lines
    assert adj(v1) == ["CO-45 60.00", "PR-3 30.00"] and v1.paid == D("60.00")
    assert adj(proc) == ["CO-45 59.00", "PR-1 50.00", "PR-2 2.20"] and proc.paid == D("8.80")
    assert adj(v2) == ["CO-45 24.00", "PR-3 30.00"] and v2.paid == D("96.00")


def test_copay_is_taken_once_a_day_even_with_two_copay_services_that_day():
    payer = sample_payer(benefits={"deductible": "0", "coinsurance_percent": 20,
                                   "copay": {"amount": "30.00", "applies_to": ["99213", "96372"]}})
    c = Claim.from_dict(claim_data(diagnoses=["I10"], lines=[
        line("99213", ["25"], charge="90.00"), line("96372", charge="14.00"),
        line("99213", ["25"], charge="90.00", dos="2026-03-11")]))
    remit = run(c, payer)
    first, second, next_day = remit.lines
    assert [a.carc for a in first.adjustments if a.group == "PR"] == ["3"]
    assert "3" not in [a.carc for a in second.adjustments]   # same day: no second copay
    assert [a.carc for a in next_day.adjustments if a.group == "PR"] == ["3"]   # a new day, a new copay


def test_copay_never_exceeds_the_allowed_amount():
    payer = sample_payer(benefits={"copay": {"amount": "30.00", "applies_to": ["99213"]}})
    remit = run(Claim.from_dict(claim_data(lines=[line("99213", charge="25.00")], diagnoses=["I10"])), payer)
    assert adj(remit.lines[0]) == ["PR-3 25.00"] and remit.lines[0].paid == D("0.00")


def test_preventive_service_without_cost_sharing():
    payer = sample_payer(benefits={"deductible": "500", "coinsurance_percent": 20, "no_cost_share": ["99396"]})
    remit = run(Claim.from_dict(claim_data(lines=[line("99396", charge="200.00")], diagnoses=["Z00.00"])), payer)
    assert adj(remit.lines[0]) == ["CO-45 50.00"] and remit.lines[0].paid == D("150.00")


def test_multiple_procedure_reduction_ranks_by_fee_and_reduces_the_second_with_co59():
    c = Claim.from_dict(claim_data(diagnoses=["L57.0"], lines=[
        line("17000", charge="100.00"),      # fee 61
        line("11042", charge="200.00"),      # fee 124: ranked first despite its place
        line("17003", charge="30.00", units=3),  # add-on, exempt
    ]))
    payer = sample_payer(benefits={"deductible": "0", "coinsurance_percent": 0})
    remit = run(c, payer)
    first, second, addon = remit.lines
    assert second.allowed == D("124.00") and adj(second) == ["CO-45 76.00"]
    assert first.allowed == D("30.50") and adj(first) == ["CO-45 39.00", "CO-59 30.50"]
    assert addon.allowed == D("18.00") and adj(addon) == ["CO-45 12.00"]
    assert "50%" in " ".join(first.explanations)
    assert balanced(remit)


def test_no_reduction_when_the_payer_has_none_or_on_different_days():
    c = Claim.from_dict(claim_data(diagnoses=["L57.0"], lines=[line("17000"), line("11042", charge="200.00")]))
    remit = run(c, sample_payer(multiple_procedure_reduction={"enabled": False}))
    assert remit.lines[0].allowed == D("61.00")
    c = Claim.from_dict(claim_data(diagnoses=["L57.0"], lines=[
        line("17000"), line("11042", charge="200.00", dos="2026-03-11")]))
    assert run(c).lines[0].allowed == D("61.00")


def test_partially_paid_claim():
    data = claim_data()
    data["lines"][1]["modifiers"] = []  # knee injection without RT/LT: CO-4
    remit = run(Claim.from_dict(data))
    assert remit.status == "partially_paid"
    assert [x.denied for x in remit.lines] == [False, True, False, False]
    assert adj(remit.lines[1]) == ["CO-4 150.00"]
    assert remit.lines[1].allowed == 0 and remit.lines[1].paid == 0
    assert remit.paid == D("60.80") + D("5.76") + D("11.20")
    assert "line(s) 2 denied" in remit.explanations[0]
    assert balanced(remit)


def test_every_line_denied_is_denied():
    payer = sample_payer(members=[{"member_id": "AB123456", "name": "Doe, Jane", "birth_date": "1970-04-15",
                                   "coverage_end": "2026-01-31"}])
    remit = run(payer=payer)
    assert remit.status == "denied" and remit.paid == 0 and balanced(remit)


def test_adjudication_is_deterministic():
    first = run()
    for _ in range(3):
        again = run()
        assert again == first
        assert again.to_dict() == first.to_dict()


def test_plain_data_is_accepted_for_claim_payer_and_date():
    from app.claims.samples import SAMPLE_PAYER

    remit = adjudicate(claim_data(), SAMPLE_PAYER, "2026-03-25", CODES)
    assert remit == run()


def test_remittance_serialises_money_as_strings():
    d = run().to_dict()
    assert d["paid"] == "125.76" and d["lines"][0]["adjustments"][0] == {
        "group": "CO", "carc": "45", "rarc": [], "amount": "74.00"}


def test_default_code_set_is_loaded_lazily(monkeypatch):
    import app.codes

    monkeypatch.setattr(app.codes, "default_codeset", lambda: CODES, raising=False)
    assert adjudicate(sample_claim(), sample_payer(), AS_OF).status == "paid"


# ----------------------------------------------------------------------------- payer profile files


def test_shipped_payer_profiles_load_and_say_they_are_practice_data():
    payers = load_payers(PAYERS_DIR)
    assert {"medicare-like", "commercial-ppo", "medicaid-like"} <= set(payers)
    for p in payers.values():
        assert "practice" in p.practice_data.lower() and "not" in p.practice_data.lower()
        assert p.fee_schedule and p.members and p.pair_edits and p.unit_limits
    assert payers["medicare-like"].timely_filing_days == 365
    assert payers["commercial-ppo"].timely_filing_days == 180
    assert payers["medicare-like"].member_id_ok("2KD7RW3HN41")
    assert not payers["medicare-like"].member_id_ok("2KD7RW3HN4S")


def test_shipped_payers_price_a_clean_visit():
    payers = load_payers(PAYERS_DIR)
    member = payers["medicare-like"].members["2KD7RW3HN41"]
    c = Claim.from_dict(claim_data(
        patient={"name": member.name, "birth_date": member.birth_date.isoformat(), "sex": member.sex},
        coverage={"member_id": member.member_id}, diagnoses=["I10"], lines=[line("99213", charge="150.00")]))
    remit = adjudicate(c, payers["medicare-like"], AS_OF, CODES)
    assert remit.status == "paid"
    assert adj(remit.lines[0]) == ["CO-45 61.00", "PR-2 17.80"] and remit.paid == D("71.20")


def write(tmp_path, text, name="bad-payer"):
    p = tmp_path / f"{name}.yml"
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """\
slug: bad-payer
name: Test
practice_data: practice data, not real
timely_filing_days: 90
fee_schedule:
  "99213": "90.00"
"""


def test_payer_loader_names_file_and_line(tmp_path):
    assert load_payer(write(tmp_path, GOOD)).timely_filing_days == 90
    with pytest.raises(PayerError, match=r"bad-payer.yml:6: field 'fee_schedule'"):
        load_payer(write(tmp_path, GOOD.replace('"90.00"', "ninety")))
    text = GOOD + "pair_edits:\n  - {column1: '1', column2: '2', modifier_indicator: 1}\n  - {column1: '1'}\n"
    with pytest.raises(PayerError, match=r":9: field 'pair_edits': missing 'column2'"):
        load_payer(write(tmp_path, text))
    with pytest.raises(PayerError, match="must equal the file name"):
        load_payer(write(tmp_path, GOOD, name="other"))
    with pytest.raises(PayerError, match="missing required field 'timely_filing_days'"):
        load_payer(write(tmp_path, GOOD.replace("timely_filing_days: 90\n", "")))
    with pytest.raises(PayerError, match="practice_data must say"):
        load_payer(write(tmp_path, GOOD.replace("practice data, not real", "our data")))
    with pytest.raises(PayerError, match="YAML syntax"):
        load_payer(write(tmp_path, GOOD + "  bad: [\n"))


# --------------------------------------------------------------------------- component, bilateral, rank, units
#
# The pricing rule (PayerProfile.line_fee): unit fee (a -26/-TC component from the fee schedule's
# CODE-26/CODE-TC entry, else the global fee x professional_percent or x the rest, rounded half up)
# x units x bilateral_percent/100 for -50, rounded half up to the cent; a surgery line ranked 2nd or
# later on its date then pays the rank percent of that amount, rounded half up. Allowed is the lower
# of that and the charge.

def _priced_payer(**overrides):
    from app.claims.samples import SAMPLE_PAYER

    fees = dict(SAMPLE_PAYER["fee_schedule"], **overrides.pop("fees", {}))
    base = {"fee_schedule": fees, "benefits": {"deductible": "0", "coinsurance_percent": 0},
            "components": {"professional_percent": 40}}
    base.update(overrides)
    return sample_payer(**base)


PRICING_CASES = [
    # id, lines (code, modifiers, units, charge, dos), payer overrides, allowed per line, CO-59 per line
    ("global fee, no modifier", [("76942", (), 1, "500.00", 10)], {}, ["32.00"], ["0"]),
    ("-26 from the percent split (40%)", [("76942", ("26",), 1, "500.00", 10)], {}, ["12.80"], ["0"]),
    ("-TC is the rest (60%)", [("76942", ("TC",), 1, "500.00", 10)], {}, ["19.20"], ["0"]),
    ("-26 split rounds half up: 16.25 x 26% = 4.225", [("76942", ("26",), 1, "500.00", 10)],
     {"fees": {"76942": "16.25"}, "components": {"professional_percent": 26}}, ["4.23"], ["0"]),
    ("-TC split rounds half up: 16.25 x 74% = 12.025", [("76942", ("TC",), 1, "500.00", 10)],
     {"fees": {"76942": "16.25"}, "components": {"professional_percent": 26}}, ["12.03"], ["0"]),
    ("a CODE-26 fee beats the split", [("76942", ("26",), 1, "500.00", 10)],
     {"fees": {"76942-26": "11.11"}}, ["11.11"], ["0"]),
    ("a CODE-TC fee beats the split", [("76942", ("TC",), 1, "500.00", 10)],
     {"fees": {"76942-TC": "22.22"}}, ["22.22"], ["0"]),
    ("component x units", [("76942", ("26",), 3, "500.00", 10)], {}, ["38.40"], ["0"]),
    ("-50 pays 150% by default", [("20610", ("50",), 1, "500.00", 10)], {}, ["90.00"], ["0"]),
    ("-50 at the payer's own rate", [("20610", ("50",), 1, "500.00", 10)], {"bilateral_percent": 200},
     ["120.00"], ["0"]),
    ("-50 rounds half up once: 60.35 x 150% = 90.525", [("20610", ("50",), 1, "500.00", 10)],
     {"fees": {"20610": "60.35"}}, ["90.53"], ["0"]),
    ("units x fee", [("J3301", (), 4, "500.00", 10)], {}, ["7.20"], ["0"]),
    ("charge below the fee is the allowed amount", [("20610", ("50",), 1, "75.00", 10)], {}, ["75.00"], ["0"]),
    ("rank by fee, not by charge or order", [("20610", ("RT",), 1, "900.00", 10), ("11102", (), 1, "100.00", 10)],
     {}, ["30.00", "97.00"], ["30.00", "0"]),
    # 20610 at 70.00 alone is below 11102 (97.00), but its bilateral amount (105.00) is above it
    ("a bilateral line ranks by its 150% amount", [("11102", (), 1, "500.00", 10), ("20610", ("50",), 1, "500.00", 10)],
     {"fees": {"20610": "70.00"}}, ["48.50", "105.00"], ["48.50", "0"]),
    ("third rank takes the payer's last percent", [("11102", (), 1, "500.00", 10), ("11042", (), 1, "500.00", 10),
                                                 ("20610", ("RT",), 1, "500.00", 10)],
     {"multiple_procedure_reduction": {"enabled": True, "percents": [100, 50, 25], "applies_to": ["10004-69990"]}},
     ["48.50", "124.00", "15.00"], ["48.50", "0", "45.00"]),
    ("ties keep line order", [("20610", ("RT",), 1, "500.00", 10), ("20610", ("LT",), 1, "500.00", 10)],
     {}, ["60.00", "30.00"], ["0", "30.00"]),
    ("rank applies per date of service", [("11102", (), 1, "500.00", 10), ("20610", ("RT",), 1, "500.00", 11)],
     {}, ["97.00", "60.00"], ["0", "0"]),
    ("reduced amount rounds half up: 97.25 x 50% = 48.625", [("11042", (), 1, "500.00", 10),
                                                           ("11102", (), 1, "500.00", 10)],
     {"fees": {"11102": "97.25"}}, ["124.00", "48.63"], ["0", "48.62"]),
    ("radiology is not ranked with surgery", [("11102", (), 1, "500.00", 10), ("76942", ("26",), 1, "500.00", 10)],
     {}, ["97.00", "12.80"], ["0", "0"]),
]


@pytest.mark.parametrize("lines, overrides, allowed, reductions",
                         [pytest.param(*case[1:], id=case[0]) for case in PRICING_CASES])
def test_pricing_table(lines, overrides, allowed, reductions):
    data = claim_data(diagnoses=["M17.11", "L57.0"], lines=[
        line(code, modifiers, charge=charge, units=units, dos=f"2026-03-{day:02d}")
        for code, modifiers, units, charge, day in lines])
    remit = run(Claim.from_dict(data), _priced_payer(**overrides))
    assert remit.status == "paid", remit.explanations
    assert [str(x.allowed) for x in remit.lines] == allowed
    co59 = [str(sum((a.amount for a in x.adjustments if a.carc == "59"), D("0"))) for x in remit.lines]
    assert [D(c) for c in co59] == [D(r) for r in reductions]
    for x in remit.lines:  # CO-45 is what the fee schedule takes off the charge; paid is the allowed amount
        assert x.charge == x.paid + sum(a.amount for a in x.adjustments)
        assert x.paid == x.allowed


def test_a_component_without_a_split_or_a_component_fee_has_no_price():
    payer = _priced_payer(components={})
    remit = run(Claim.from_dict(claim_data(lines=[line("76942", ("26",), charge="90.00")])), payer)
    assert adj(remit.lines[0]) == ["CO-96 90.00 [N130]"]
    assert "no price" in remit.lines[0].explanations[0]


def test_component_and_bilateral_lines_say_how_they_were_priced():
    data = claim_data(lines=[line("76942", ("TC",), charge="90.00"), line("20610", ("50",), charge="200.00")])
    remit = run(Claim.from_dict(data), _priced_payer())
    assert "Technical component (-TC): 60% of the global fee for 76942." in remit.lines[0].explanations
    assert "Bilateral (-50): 150% of one side's fee." in remit.lines[1].explanations


@pytest.mark.parametrize("field, value", [
    ("components", {"professional_percent": 120}),
    ("components", {"professional_percent": -1}),
    ("components", "forty"),
    ("bilateral_percent", 0),
])
def test_bad_pricing_fields_are_refused(field, value):
    from app.claims.payer import payer_from_dict
    from app.claims.samples import SAMPLE_PAYER

    with pytest.raises((ValueError, ArithmeticError)):
        payer_from_dict(dict(SAMPLE_PAYER, **{field: value}))


@pytest.mark.parametrize("slug", ["commercial-ppo", "medicaid-like", "medicare-like"])
def test_shipped_payers_state_their_component_split_and_bilateral_rate(slug):
    payer = load_payer(PAYERS_DIR / f"{slug}.yml")
    assert payer.professional_percent == D("40") and payer.bilateral_percent == D("150")
