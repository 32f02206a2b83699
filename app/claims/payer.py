"""Payer profiles: fee schedule, benefits, coverage rules, practice edits and the member roster."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Mapping

from app.claims.codelists import EMPTY, SURGERY_CODES, CodeList
from app.claims.model import CENT, ServiceLine, money, normalize_code, parse_date

#: Distinct-procedure modifiers that can bypass a pair edit with modifier indicator 1.
DISTINCT_MODIFIERS = frozenset({"59", "XE", "XS", "XP", "XU"})
#: On an E/M code the bypass is 25 (significant, separately identifiable visit) or 57 (decision for surgery).
EM_BYPASS_MODIFIERS = frozenset({"25", "57"})
#: How a payer corrects a processed claim (see ``PayerProfile.corrections``).
REPLACEMENT, REOPENING = "replacement", "reopening"
CORRECTION_MODES = (REPLACEMENT, REOPENING)

#: Component modifiers: professional component (26) and technical component (TC).
COMPONENT_MODIFIERS = ("26", "TC")
#: Bilateral procedure modifier.
BILATERAL = "50"
HUNDRED = Decimal(100)


def cents(x: Decimal) -> Decimal:
    """Round to the cent, half up: the one rounding rule of pricing (see PayerProfile.line_fee)."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Authorization:
    """An approved prior authorization on the member's record."""

    number: str
    codes: CodeList = EMPTY
    start: dt.date | None = None
    end: dt.date | None = None

    def covers(self, code: str, day: dt.date) -> bool:
        if self.codes and code not in self.codes:
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Member:
    """The payer's eligibility record for one member (what a 270/271 eligibility check returns)."""

    member_id: str
    name: str
    birth_date: dt.date | None
    sex: str = "U"
    plan: str = ""
    group: str = ""
    coverage_start: dt.date | None = None
    coverage_end: dt.date | None = None
    #: deductible already met this benefit year, before this claim
    deductible_met: Decimal = Decimal("0.00")
    #: another plan pays first (coordination of benefits): its name, or "" when this payer is primary
    primary_payer: str = ""
    authorizations: tuple[Authorization, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping) -> "Member":
        auths = tuple(
            Authorization(number=str(a.get("number", "")).strip(),
                          codes=CodeList.of([normalize_code(c) for c in a.get("codes") or ()]),
                          start=parse_date(a.get("start")), end=parse_date(a.get("end")))
            for a in d.get("authorizations") or ()
        )
        return cls(
            member_id=str(d.get("member_id", "")).strip().upper(),
            name=str(d.get("name", "")).strip(),
            birth_date=parse_date(d.get("birth_date")),
            sex=str(d.get("sex", "U")).strip().upper()[:1] or "U",
            plan=str(d.get("plan", "") or "").strip(),
            group=str(d.get("group", "") or "").strip(),
            coverage_start=parse_date(d.get("coverage_start")),
            coverage_end=parse_date(d.get("coverage_end")),
            deductible_met=money(d.get("deductible_met", 0)),
            primary_payer=str(d.get("primary_payer", "") or "").strip(),
            authorizations=auths,
        )


@dataclass(frozen=True)
class PairEdit:
    """A practice pair edit: ``column2`` is bundled into ``column1`` on the same day.

    ``indicator`` 0: never paid together; 1: paid together when a modifier shows a distinct service.
    Practice data, not CMS's NCCI files.
    """

    column1: str
    column2: str
    indicator: int
    note: str = ""


@dataclass(frozen=True)
class ModifierRule:
    """A modifier the payer requires on some codes (optionally only at some places of service)."""

    codes: CodeList
    one_of: frozenset[str]
    places_of_service: frozenset[str] = frozenset()
    note: str = ""


@dataclass(frozen=True)
class PlaceRule:
    """Places of service a code may (``allowed``) or may not (``not_allowed``) be billed at."""

    codes: CodeList
    allowed: frozenset[str] = frozenset()
    not_allowed: frozenset[str] = frozenset()
    note: str = ""

    def permits(self, pos: str) -> bool:
        if self.allowed and pos not in self.allowed:
            return False
        return pos not in self.not_allowed


@dataclass(frozen=True)
class NecessityRule:
    """A coverage policy: these procedures are covered only for these diagnoses."""

    procedures: CodeList
    diagnoses: CodeList
    note: str = ""


@dataclass(frozen=True)
class SexPolicy:
    """A payer's own list of sex-specific diagnoses and procedures (CARC 10 / 7).

    Payer policy, not the Medicare Code Editor: the MCE has had no sex edits since FY2025.
    ``note`` says so in the payer's words and is quoted in every denial it causes."""

    note: str = ""
    female_diagnoses: CodeList = EMPTY
    male_diagnoses: CodeList = EMPTY
    female_procedures: CodeList = EMPTY
    male_procedures: CodeList = EMPTY

    def diagnosis_for(self, code: str) -> str | None:
        """'F' or 'M' when the policy limits diagnosis ``code`` to one sex."""
        if code in self.female_diagnoses:
            return "F"
        if code in self.male_diagnoses:
            return "M"
        return None

    def procedure_for(self, code: str) -> str | None:
        """'F' or 'M' when the policy limits procedure ``code`` to one sex."""
        if code in self.female_procedures:
            return "F"
        if code in self.male_procedures:
            return "M"
        return None


NO_SEX_POLICY = SexPolicy()


@dataclass(frozen=True)
class PayerProfile:
    """Everything the engine needs to know about one (practice) payer."""

    slug: str
    name: str
    practice_data: str
    timely_filing_days: int
    fee_schedule: Mapping[str, Decimal]
    member_id_pattern: str = r"^[A-Z0-9]{6,20}$"
    deductible: Decimal = Decimal("0.00")
    coinsurance_percent: Decimal = Decimal("0")
    copay: Decimal = Decimal("0.00")
    copay_codes: CodeList = EMPTY
    #: services paid in full with no deductible, coinsurance or copay (e.g. preventive care)
    no_cost_share: CodeList = EMPTY
    #: price for a code missing from the fee schedule, as a percent of the charge (0: deny CO-96)
    unlisted_percent_of_charge: Decimal = Decimal("0")
    prior_auth: CodeList = EMPTY
    non_covered: CodeList = EMPTY
    #: routine (preventive) exams the payer excludes, denied with CARC 49 rather than 96 (Medicare
    #: excludes routine physicals by statute; same liability rules as ``non_covered``)
    routine_exams: CodeList = EMPTY
    #: who owes a non-covered service: "provider" (CO-96, unless modifier GA says the patient signed
    #: an advance notice, or GY marks a service excluded by law) or "patient" (PR-96)
    non_covered_liability: str = "provider"
    #: plan name -> services that plan excludes (CARC 204)
    plan_exclusions: Mapping[str, CodeList] = field(default_factory=dict)
    necessity: tuple[NecessityRule, ...] = ()
    #: CARC for a diagnosis that doesn't support the procedure: "50" (medical necessity) or "11"
    necessity_carc: str = "50"
    non_covered_diagnoses: CodeList = EMPTY
    required_modifiers: tuple[ModifierRule, ...] = ()
    place_rules: tuple[PlaceRule, ...] = ()
    pair_edits: tuple[PairEdit, ...] = ()
    unit_limits: Mapping[str, int] = field(default_factory=dict)
    #: the payer's own sex-specific codes (not the MCE's); empty when the payer keeps none
    sex_policy: SexPolicy = NO_SEX_POLICY
    #: multiple-procedure reduction: percents by rank (e.g. 100, 50, 50); () when the payer has none
    mpr_percents: tuple[Decimal, ...] = ()
    mpr_codes: CodeList = SURGERY_CODES
    #: codes never reduced (add-on codes, venipuncture ...)
    mpr_exempt: CodeList = EMPTY
    #: code -> first date of service the payer pays it separately; before that date the code is
    #: bundled into the other services of the day (CO-97), e.g. a code that existed before the payer
    #: began paying for it
    separately_payable_from: Mapping[str, dt.date] = field(default_factory=dict)
    #: how the payer corrects a claim it already processed: "replacement" (a frequency-7 claim, as
    #: commercial plans and Medicaid take) or "reopening" (Medicare Part B: the contractor reopens
    #: its own determination, CMS Pub. 100-04 ch. 34; frequency 7/8 claims are not taken)
    corrections: str = REPLACEMENT
    #: professional component (-26) share of the global fee, in percent; the technical component
    #: (-TC) gets the rest. Used when the fee schedule has no ``code-26`` / ``code-TC`` entry;
    #: None: the payer has no split, so a component without its own fee has no price (CO-96)
    professional_percent: Decimal | None = None
    #: what a bilateral procedure (-50) pays, in percent of one side's fee (150 unless the payer says)
    bilateral_percent: Decimal = Decimal("150")
    members: Mapping[str, Member] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.corrections not in CORRECTION_MODES:
            raise ValueError(f"corrections must be one of {', '.join(CORRECTION_MODES)}, not {self.corrections!r}")
        if self.non_covered_liability not in ("provider", "patient"):
            raise ValueError(f"non_covered_liability must be provider or patient, not {self.non_covered_liability!r}")
        object.__setattr__(self, "_member_re", re.compile(self.member_id_pattern))
        pairs: dict[tuple[str, str], PairEdit] = {}
        for p in self.pair_edits:
            pairs[(p.column1, p.column2)] = p
        object.__setattr__(self, "_pairs", pairs)

    def member_id_ok(self, member_id: str) -> bool:
        return bool(self._member_re.fullmatch(member_id))  # type: ignore[attr-defined]

    def pair(self, a: str, b: str) -> PairEdit | None:
        """The pair edit with ``a`` as column 1 and ``b`` as column 2, if any."""
        return self._pairs.get((a, b))  # type: ignore[attr-defined]

    def fee(self, code: str, modifiers: tuple[str, ...] = ()) -> Decimal | None:
        """Fee-schedule amount for one unit, None when the payer has no price for it.

        With -26 or -TC the line is one component: a ``code-26`` / ``code-TC`` entry of the fee
        schedule prices it; else the global fee × ``professional_percent`` (-26) or × the rest
        (-TC), rounded half up to the cent like any published fee; with neither, no price.
        """
        for m in modifiers:
            if m in COMPONENT_MODIFIERS:
                amount = self.fee_schedule.get(f"{code}-{m}")
                if amount is not None:
                    return amount
                whole = self.fee_schedule.get(code)
                if whole is None or self.professional_percent is None:
                    return None
                share = self.professional_percent if m == "26" else HUNDRED - self.professional_percent
                return cents(whole * share / HUNDRED)
        return self.fee_schedule.get(code)

    def line_fee(self, line: ServiceLine) -> Decimal | None:
        """The fee-schedule amount for a whole line, before any multiple-procedure reduction.

        unit fee (component-priced for -26/-TC) × units × ``bilateral_percent`` / 100 when the
        line carries -50, rounded once, half up, to the cent. None when the code has no price.

        Rounding rule of the engine: amounts are Decimal throughout and rounded ROUND_HALF_UP to
        the cent at three points only — a component fee derived from a percent split, this line
        amount, and the reduced allowed amount (line amount × rank percent). Coinsurance is
        rounded the same way; the paid amount is a subtraction, so every line balances exactly.
        """
        unit = self.fee(line.code, line.modifiers)
        if unit is None:
            return None
        amount = unit * line.units
        if BILATERAL in line.modifiers:
            amount = amount * self.bilateral_percent / HUNDRED
        return cents(amount)

    def with_members(self, *members: Member) -> "PayerProfile":
        """This profile with extra (or replaced) eligibility records, e.g. a scenario's member."""
        roster = dict(self.members)
        for m in members:
            roster[m.member_id] = m
        return replace(self, members=roster)


class PayerError(ValueError):
    """A payer profile that can't be read; the message names the file and line."""


def _codes(values: Any, icd: bool = False) -> CodeList:
    if values is None:
        return EMPTY
    if isinstance(values, str):
        values = [values]
    norm = (lambda c: c.strip().upper()) if icd else normalize_code
    return CodeList.of([norm(str(v)) for v in values], prefixes=icd)


def _sex_policy(d: Any) -> SexPolicy:
    if not d:
        return NO_SEX_POLICY
    if not isinstance(d, Mapping):
        raise ValueError("sex_policy must be a mapping (note, female_diagnoses, male_diagnoses, "
                         "female_procedures, male_procedures)")
    unknown = set(d) - {"note", "female_diagnoses", "male_diagnoses", "female_procedures", "male_procedures"}
    if unknown:
        raise ValueError(f"sex_policy: unknown field {sorted(unknown)[0]!r}")
    note = str(d.get("note") or "").strip()
    if not note:
        raise ValueError("sex_policy needs a note saying it is the payer's own policy")
    return SexPolicy(note=note,
                     female_diagnoses=_codes(d.get("female_diagnoses"), icd=True),
                     male_diagnoses=_codes(d.get("male_diagnoses"), icd=True),
                     female_procedures=_codes(d.get("female_procedures")),
                     male_procedures=_codes(d.get("male_procedures")))


def _dated_codes(values: Any) -> dict[str, dt.date]:
    """``{code: date}`` with codes normalised and dates checked (a mapping of code to YYYY-MM-DD)."""
    if not values:
        return {}
    if not isinstance(values, Mapping):
        raise ValueError("must map codes to dates, e.g. {G2211: 2024-01-01}")
    out = {}
    for code, day in values.items():
        parsed = parse_date(day)
        if parsed is None:
            raise ValueError(f"{code}: give a date (YYYY-MM-DD)")
        out[normalize_code(str(code))] = parsed
    return out


def payer_from_dict(d: Mapping, slug: str = "") -> PayerProfile:
    """Build a profile from the plain data of a ``content/payers/*.yml`` file."""
    benefits = d.get("benefits") or {}
    copay = benefits.get("copay") or {}
    if not isinstance(copay, Mapping):
        copay = {"amount": copay}
    mpr = d.get("multiple_procedure_reduction") or {}
    components = d.get("components") or {}
    if not isinstance(components, Mapping):
        raise ValueError("components must be a mapping with professional_percent")
    split = components.get("professional_percent")
    if split is not None and not Decimal(0) <= Decimal(str(split)) <= HUNDRED:
        raise ValueError(f"components.professional_percent must be 0 to 100, not {split!r}")
    bilateral = Decimal(str(d.get("bilateral_percent", 150)))
    if bilateral <= 0:
        raise ValueError(f"bilateral_percent must be above 0, not {bilateral}")
    necessity = d.get("medical_necessity") or {}
    return PayerProfile(
        slug=str(d.get("slug") or slug),
        name=str(d.get("name", slug)),
        practice_data=str(d.get("practice_data", "")).strip(),
        timely_filing_days=int(d["timely_filing_days"]),
        member_id_pattern=str(d.get("member_id_pattern") or r"^[A-Z0-9]{6,20}$"),
        fee_schedule={normalize_code(k): money(v) for k, v in (d.get("fee_schedule") or {}).items()},
        deductible=money(benefits.get("deductible", 0)),
        coinsurance_percent=Decimal(str(benefits.get("coinsurance_percent", 0))),
        copay=money(copay.get("amount", 0)),
        copay_codes=_codes(copay.get("applies_to")),
        no_cost_share=_codes(benefits.get("no_cost_share")),
        unlisted_percent_of_charge=Decimal(str(d.get("unlisted_percent_of_charge", 0))),
        prior_auth=_codes(d.get("prior_auth")),
        non_covered=_codes(d.get("non_covered")),
        non_covered_liability=str(d.get("non_covered_liability", "provider")),
        routine_exams=_codes(d.get("routine_exams")),
        plan_exclusions={str(k): _codes(v) for k, v in (d.get("plan_exclusions") or {}).items()},
        necessity=tuple(
            NecessityRule(procedures=_codes(r.get("procedures")), diagnoses=_codes(r.get("diagnoses"), icd=True),
                          note=str(r.get("note", "")))
            for r in necessity.get("rules") or ()
        ),
        necessity_carc=str(necessity.get("carc", "50")),
        non_covered_diagnoses=_codes(d.get("non_covered_diagnoses"), icd=True),
        required_modifiers=tuple(
            ModifierRule(codes=_codes(r.get("codes")),
                         one_of=frozenset(normalize_code(m) for m in r.get("one_of") or ()),
                         places_of_service=frozenset(str(p) for p in r.get("places_of_service") or ()),
                         note=str(r.get("note", "")))
            for r in d.get("required_modifiers") or ()
        ),
        place_rules=tuple(
            PlaceRule(codes=_codes(r.get("codes")),
                      allowed=frozenset(str(p) for p in r.get("allowed") or ()),
                      not_allowed=frozenset(str(p) for p in r.get("not_allowed") or ()),
                      note=str(r.get("note", "")))
            for r in d.get("place_of_service_rules") or ()
        ),
        pair_edits=tuple(
            PairEdit(column1=normalize_code(p["column1"]), column2=normalize_code(p["column2"]),
                     indicator=int(p["modifier_indicator"]), note=str(p.get("note", "")))
            for p in d.get("pair_edits") or ()
        ),
        unit_limits={normalize_code(k): int(v) for k, v in (d.get("unit_limits") or {}).items()},
        sex_policy=_sex_policy(d.get("sex_policy")),
        mpr_percents=tuple(Decimal(str(p)) for p in mpr.get("percents") or ()) if mpr.get("enabled") else (),
        mpr_codes=_codes(mpr.get("applies_to")) if mpr.get("applies_to") else SURGERY_CODES,
        mpr_exempt=_codes(mpr.get("exempt")),
        separately_payable_from=_dated_codes(d.get("separately_payable_from")),
        corrections=str(d.get("corrections") or REPLACEMENT),
        professional_percent=None if split is None else Decimal(str(split)),
        bilateral_percent=bilateral,
        members={m.member_id: m for m in (Member.from_dict(x) for x in d.get("members") or ())},
    )


REQUIRED_KEYS = ("slug", "name", "practice_data", "timely_filing_days", "fee_schedule")


def load_payer(path: str | Path) -> PayerProfile:
    """Load ``content/payers/<slug>.yml``; raise PayerError naming ``file:line`` on a bad field."""
    from app.content.errors import ContentError
    from app.content.yamlmarks import load_yaml

    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except ContentError as exc:
        raise PayerError(str(exc)) from None
    if not isinstance(data, dict):
        raise PayerError(f"{path}:1: a payer profile must be a mapping of fields")
    line_of = getattr(data, "line_of", lambda k: 1)
    for key in REQUIRED_KEYS:
        if key not in data:
            raise PayerError(f"{path}:1: missing required field '{key}'")
    if data["slug"] != path.stem:
        raise PayerError(f"{path}:{line_of('slug')}: slug '{data['slug']}' must equal the file name")
    if "not" not in str(data["practice_data"]).lower():
        raise PayerError(f"{path}:{line_of('practice_data')}: practice_data must say what the data is not "
                         "(e.g. 'not CMS fee schedules or NCCI files')")
    # Build each field on its own so the error names the field (and the list item) at fault.
    for key, value in data.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            trial = {"timely_filing_days": 1, key: [item] if isinstance(value, list) else item}
            try:
                payer_from_dict(trial, path.stem)
            except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError) as exc:
                line = getattr(item, "line", 0) or line_of(key)
                why = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
                raise PayerError(f"{path}:{line}: field '{key}': {why}") from None
    return payer_from_dict(data, path.stem)


def load_payers(directory: str | Path) -> dict[str, PayerProfile]:
    """Every payer profile in ``directory``, keyed by slug."""
    directory = Path(directory)
    return {p.stem: load_payer(p) for p in sorted(directory.glob("*.yml"))}
