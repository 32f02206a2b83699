"""The edits a claim goes through, each a small rule class in one registry, ordered by stage.

Stages, in the order the engine runs them:

1. ``front_end`` — clearinghouse edits. Any failure *rejects* the claim: it is never adjudicated,
   so the answer is an acknowledgment (277CA style), not a remittance: a claim status category
   (A6 missing, A7 invalid information) and a claim status code naming the field, with the
   CMS-1500 box — no CARC, no RARC, no appeal rights; fix it and send it again as a new original
   claim. They check what can be checked without the payer's records: format of the member ID,
   NPI check digits, dates, diagnosis pointers, and that every code *exists in the current code
   set* (an unknown or header ICD-10-CM code, procedure, modifier or POS).
2. ``claim`` — eligibility checks that deny the whole claim (member identity 31, COB 22, MA04).
3. ``line`` — adjudication edits, each denying one line: coverage dates (26/27), timely filing (29),
   a code that exists but was *not valid on the date of service* (146 diagnosis, 181 procedure,
   182 modifier; dates from ``data/code-dates.yml``), age/sex (6, 7, 9, 10: diagnoses by the
   Medicare Code Editor of the date's fiscal year, plus the payer's own sex policy; procedures by
   CPT age band), modifiers (4), place of service (5), coverage (96, routine exams 49, 204, 167,
   50/11), a code the payer pays separately only from a date (97), duplicates (18), global surgery
   (97 with M15), pair edits (97 with N20 or M15), unit limits (151), prior authorization (197).
   A line stops at the first rule that denies it.

Pricing (fee schedule, multiple-procedure reduction, CO-45, deductible, coinsurance, copay)
follows in :mod:`app.claims.engine` for the lines still standing.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Iterator

from app.claims import mce
from app.claims.codelists import EM_CODES
from app.claims.model import DX_LETTERS, FREQUENCY_CODES, ORIGINAL, Claim, ServiceLine
from app.claims.payer import DISTINCT_MODIFIERS, EM_BYPASS_MODIFIERS, REOPENING, Member, PayerProfile
from app.claims.reference import demographics, global_days, valid_on
from app.claims.remittance import CO, PR, StatusError
from app.codes.model import needs_phrase
from app.codes.shapes import is_modifier, procedure_system

FRONT_END, CLAIM, LINE = "front_end", "claim", "line"
STAGES = (FRONT_END, CLAIM, LINE)

NPI_RE = re.compile(r"^\d{10}$")
TAX_ID_RE = re.compile(r"^\d{2}-?\d{7}$")
MAX_MODIFIERS = 4
MAX_POINTERS = 4


def npi_valid(npi: str) -> bool:
    """10 digits whose last is the Luhn check digit of the first nine prefixed with 80840."""
    if not NPI_RE.match(npi or ""):
        return False
    digits = "80840" + npi
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _name_key(name: str) -> tuple[str, str]:
    """('last', 'first') from 'Last, First' or 'First Last', letters only, lower case."""
    if "," in name:
        last, first = name.split(",", 1)
    else:
        parts = name.split()
        last, first = (parts[-1], " ".join(parts[:-1])) if parts else ("", "")
    clean = lambda s: re.sub(r"[^a-z]", "", s.lower())  # noqa: E731
    return clean(last), clean(first)


@dataclass(frozen=True)
class Denial:
    """What a claim or line rule found: the adjustment to post and the words to explain it."""

    carc: str
    message: str
    rarc: tuple[str, ...] = ()
    group: str = CO


@dataclass
class Context:
    """One adjudication's working state, shared by the rules (never returned to callers)."""

    claim: Claim
    payer: PayerProfile
    as_of: dt.date
    codes: Any
    history: tuple = ()
    receipt: dt.date = field(init=False)
    member: Member | None = None
    #: line index -> (rule id, denial), filled as line rules deny lines
    denied: dict[int, tuple[str, Denial]] = field(default_factory=dict)
    _entries: dict = field(default_factory=dict)
    _pointed: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.receipt = self.claim.receipt_date or self.as_of

    def entry(self, system: str, code: str):
        """Code-set entry, looked up once per adjudication."""
        key = (system, code)
        if key not in self._entries:
            self._entries[key] = self.codes.get(system, code)
        return self._entries[key]

    def pointed(self, line: ServiceLine) -> tuple[str, ...]:
        """Diagnosis codes the line points at, in pointer order (empty slots skipped)."""
        key = id(line)
        found = self._pointed.get(key)
        if found is None:
            found = tuple(c for c in map(self.claim.diagnosis, line.pointers) if c)
            self._pointed[key] = found
        return found

    def live(self) -> Iterator[tuple[int, ServiceLine]]:
        """Lines not denied so far."""
        for i, line in enumerate(self.claim.lines):
            if i not in self.denied:
                yield i, line


class Rule:
    """One edit. Subclasses set the class attributes and implement ``check``."""

    id: ClassVar[str]
    stage: ClassVar[str]
    #: CARC (and RARCs) this rule produces; rules producing several list them all
    carcs: ClassVar[tuple[str, ...]]
    rarcs: ClassVar[tuple[str, ...]] = ()
    title: ClassVar[str]


#: claim status categories of a rejection (X12 code list 507)
MISSING, INVALID = "A6", "A7"


class FrontEndRule(Rule):
    """A front-end edit: it answers with claim status codes (X12 list 508), never a CARC."""

    stage = FRONT_END
    carcs = ()
    #: claim status codes this edit can return
    status_codes: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: Context) -> Iterable[StatusError]:
        raise NotImplementedError

    def msg(self, box: str, message: str, code: str, missing: bool = False, entity: str = "",
            line: int | None = None) -> StatusError:
        return StatusError(rule=self.id, category=MISSING if missing else INVALID, status_code=code,
                           box=box, message=message, entity=entity, line_number=line)


class ClaimRule(Rule):
    stage = CLAIM

    def check(self, ctx: Context) -> Denial | None:
        raise NotImplementedError


class LineRule(Rule):
    stage = LINE

    def check(self, ctx: Context, i: int, line: ServiceLine) -> Denial | None:
        raise NotImplementedError


#: rule id -> rule instance, in registration order within each stage
REGISTRY: dict[str, Rule] = {}


_BY_STAGE: dict[str, tuple[Rule, ...]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add one instance of the rule to the registry (ids are unique)."""
    if cls.id in REGISTRY:
        raise ValueError(f"duplicate rule id {cls.id!r}")
    REGISTRY[cls.id] = cls()
    _BY_STAGE.clear()
    return cls


def rules(stage: str) -> tuple[Rule, ...]:
    """Registered rules of one stage, in the order they run."""
    found = _BY_STAGE.get(stage)
    if found is None:
        found = _BY_STAGE[stage] = tuple(r for r in REGISTRY.values() if r.stage == stage)
    return found


# ============================================================================ front end (reject)


@register
class NoServiceLines(FrontEndRule):
    id = "fe-no-lines"
    status_codes = ("247",)
    title = "The claim has at least one service line"

    def check(self, ctx):
        if not ctx.claim.lines:
            yield self.msg("24", "The claim has no service lines.", "247", missing=True)


@register
class MemberIdFormat(FrontEndRule):
    id = "fe-member-id"
    status_codes = ("164",)
    title = "Insured's ID is present and shaped like this payer's IDs"

    def check(self, ctx):
        mid = ctx.claim.coverage.member_id
        if not mid:
            yield self.msg("1a", "The insured's ID (box 1a) is missing.", "164", missing=True, entity="IL")
        elif not ctx.payer.member_id_ok(mid):
            yield self.msg("1a", f"The insured's ID {mid!r} is not shaped like a {ctx.payer.name} member ID.",
                           "164", entity="IL")


@register
class PatientDemographics(FrontEndRule):
    id = "fe-patient"
    status_codes = ("125", "158", "157")
    title = "Patient name, birth date and sex are present and plausible"

    def check(self, ctx):
        p = ctx.claim.patient
        if not p.name.strip():
            yield self.msg("2", "The patient's name (box 2) is missing.", "125", missing=True, entity="QC")
        if p.birth_date is None:
            yield self.msg("3", "The patient's birth date (box 3) is missing.", "158", missing=True, entity="QC")
        elif p.birth_date > ctx.receipt:
            yield self.msg("3", "The patient's birth date (box 3) is in the future.", "158", entity="QC")
        if p.sex not in ("F", "M"):
            yield self.msg("3", "The patient's sex (box 3) must be F or M.", "157", missing=not p.sex or p.sex == "U",
                           entity="QC")


@register
class ProviderNpi(FrontEndRule):
    id = "fe-npi"
    status_codes = ("562",)
    title = "Every NPI has 10 digits and a valid check digit (Luhn with prefix 80840)"

    def check(self, ctx):
        c = ctx.claim
        for box, who, entity, prov in (("33a", "billing", "85", c.billing_provider),
                                       ("24J", "rendering", "82", c.rendering_provider),
                                       ("17b", "referring", "DN", c.referring_provider)):
            if prov is None:
                continue
            if not prov.npi:
                yield self.msg(box, f"The {who} provider's NPI (box {box}) is missing.", "562", missing=True,
                               entity=entity)
            elif not NPI_RE.match(prov.npi):
                yield self.msg(box, f"The {who} provider's NPI {prov.npi!r} must be exactly 10 digits.", "562",
                               entity=entity)
            elif not npi_valid(prov.npi):
                yield self.msg(box, f"The {who} provider's NPI {prov.npi} fails the check-digit test: "
                                    "a digit is probably mistyped.", "562", entity=entity)


@register
class BillingTaxId(FrontEndRule):
    id = "fe-tax-id"
    status_codes = ("128",)
    title = "The billing provider's tax ID (box 25) has 9 digits"

    def check(self, ctx):
        tax = ctx.claim.billing_provider.tax_id
        if not TAX_ID_RE.match(tax or ""):
            yield self.msg("25", "The federal tax ID (box 25) is missing or not 9 digits.", "128", missing=not tax,
                           entity="85")


@register
class ServiceDates(FrontEndRule):
    id = "fe-dates"
    status_codes = ("187",)
    title = "Every line has a date of service, not in the future, and 'to' not before 'from'"

    def check(self, ctx):
        for n, line in enumerate(ctx.claim.lines, 1):
            if line.date_of_service is None:
                yield self.msg("24A", f"Line {n}: the date of service is missing.", "187", missing=True, line=n)
                continue
            if line.date_of_service > ctx.receipt:
                yield self.msg("24A", f"Line {n}: the date of service {line.date_of_service} is after the "
                                      f"claim was sent ({ctx.receipt}).", "187", line=n)
            if line.date_to is not None and line.date_to < line.date_of_service:
                yield self.msg("24A", f"Line {n}: the 'to' date is before the 'from' date.", "187", line=n)
            elif line.date_to is not None and line.date_to > ctx.receipt:
                yield self.msg("24A", f"Line {n}: the 'to' date is in the future.", "187", line=n)


@register
class HasDiagnosis(FrontEndRule):
    id = "fe-no-diagnosis"
    status_codes = ("254", "255")
    title = "Box 21 has at least one diagnosis and no more than twelve"

    def check(self, ctx):
        n = len(ctx.claim.diagnoses)
        if n == 0:
            yield self.msg("21", "No diagnosis in box 21: every claim needs at least one.", "254", missing=True)
        elif n > len(DX_LETTERS):
            yield self.msg("21", f"{n} diagnoses: box 21 holds at most twelve (A–L).", "255")


@register
class DiagnosisCodes(FrontEndRule):
    id = "fe-diagnosis-code"
    status_codes = ("254", "255")
    title = "Every diagnosis is a complete (billable) ICD-10-CM code in the current code set"

    def check(self, ctx):
        for letter, code in zip(DX_LETTERS, ctx.claim.diagnoses):
            entry = ctx.entry("icd10cm", code)
            status = "254" if letter == "A" else "255"  # slot A is the first-listed diagnosis
            if entry is None:
                yield self.msg("21", f"Diagnosis {letter} ({code}) is not an ICD-10-CM code.", status)
            elif not entry.billable:
                detail = needs_phrase(ctx.codes.missing_detail("icd10cm", code))
                more = f" — {detail}" if detail else ""
                yield self.msg("21", f"Diagnosis {letter} ({code}) is a header, not a complete code{more}.", status)


@register
class DiagnosisPointers(FrontEndRule):
    id = "fe-pointer"
    status_codes = ("477",)
    title = "Each line points at one to four filled diagnosis slots"

    def check(self, ctx):
        for n, line in enumerate(ctx.claim.lines, 1):
            if not line.pointers:
                yield self.msg("24E", f"Line {n}: no diagnosis pointer.", "477", missing=True, line=n)
                continue
            if len(line.pointers) > MAX_POINTERS:
                yield self.msg("24E", f"Line {n}: {len(line.pointers)} pointers; at most four.", "477", line=n)
            for p in line.pointers:
                if p not in DX_LETTERS or len(p) != 1:
                    yield self.msg("24E", f"Line {n}: pointer {p!r} is not a letter A–L.", "477", line=n)
                elif ctx.claim.diagnosis(p) is None:
                    yield self.msg("24E", f"Line {n}: pointer {p} points at an empty diagnosis slot.", "477",
                                   line=n)


@register
class PlaceOfService(FrontEndRule):
    id = "fe-pos"
    status_codes = ("249",)
    title = "The place of service is a valid two-digit POS code"

    def check(self, ctx):
        seen = set()
        for n, line in enumerate(ctx.claim.lines, 1):
            pos = ctx.claim.line_pos(line)
            if pos in seen:
                continue
            if not pos:
                yield self.msg("24B", f"Line {n}: the place of service is missing.", "249", missing=True, line=n)
            elif ctx.entry("pos", pos) is None:
                yield self.msg("24B", f"Line {n}: {pos!r} is not a place-of-service code.", "249", line=n)
            seen.add(pos)


@register
class ProcedureCodes(FrontEndRule):
    id = "fe-procedure-code"
    status_codes = ("454",)
    title = "Every procedure is a CPT or HCPCS code in the current code set"

    def check(self, ctx):
        for n, line in enumerate(ctx.claim.lines, 1):
            system = procedure_system(line.code)
            if not line.code:
                yield self.msg("24D", f"Line {n}: the procedure code is missing.", "454", missing=True, line=n)
            elif system is None or ctx.entry(system, line.code) is None:
                yield self.msg("24D", f"Line {n}: {line.code!r} is not a CPT or HCPCS code.", "454", line=n)


@register
class Modifiers(FrontEndRule):
    id = "fe-modifier"
    status_codes = ("453",)
    title = "At most four modifiers, each a known modifier"

    def check(self, ctx):
        for n, line in enumerate(ctx.claim.lines, 1):
            if len(line.modifiers) > MAX_MODIFIERS:
                yield self.msg("24D", f"Line {n}: {len(line.modifiers)} modifiers; box 24D holds four.", "453",
                               line=n)
            for m in line.modifiers:
                if not is_modifier(m) or ctx.entry("modifier", m) is None:
                    yield self.msg("24D", f"Line {n}: {m!r} is not a modifier.", "453", line=n)


@register
class UnitsAndCharges(FrontEndRule):
    id = "fe-units-charge"
    status_codes = ("476", "583")
    title = "Units are at least 1 and every charge is above zero"

    def check(self, ctx):
        for n, line in enumerate(ctx.claim.lines, 1):
            if line.units < 1:
                yield self.msg("24G", f"Line {n}: units must be at least 1.", "476", line=n)
            if line.charge <= 0:
                yield self.msg("24F", f"Line {n}: the charge must be more than $0.00.", "583", line=n)


@register
class Resubmission(FrontEndRule):
    id = "fe-frequency"
    status_codes = ("535", "464")
    title = "Box 22: frequency code 1, 7 or 8; a 7 or 8 names the original claim"

    def check(self, ctx):
        c = ctx.claim
        if c.frequency_code not in FREQUENCY_CODES:
            yield self.msg("22", f"Frequency code {c.frequency_code!r} must be 1 (original), "
                                 "7 (replacement) or 8 (void).", "535")
        elif c.frequency_code != ORIGINAL and not c.original_claim_ref:
            yield self.msg("22", "A replacement (7) or void (8) must give the original claim's reference "
                                 "number in box 22.", "464", missing=True)
        elif c.frequency_code != ORIGINAL and ctx.payer.corrections == REOPENING:
            # Medicare Part B corrects a processed claim by reopening it (CMS Pub. 100-04, ch. 34,
            # section 10.6 clerical-error reopenings), not by a replacement or void claim.
            yield self.msg("22", f"{ctx.payer.name} does not take replacement (7) or void (8) claims: ask it to "
                                 f"reopen claim {c.original_claim_ref} and correct it (a clerical-error "
                                 "reopening, CMS Pub. 100-04 ch. 34), or send a new original claim only "
                                 "if the first was rejected.", "535")


# ============================================================================ claim level (deny)


@register
class MemberIdentity(ClaimRule):
    id = "member-identity"
    carcs = ("31",)
    title = "The patient is on the payer's roster under this ID, name and birth date"

    def check(self, ctx):
        if not ctx.payer.members:  # no roster to check against (e.g. unit tests of pricing)
            return None
        mid = ctx.claim.coverage.member_id
        member = ctx.payer.members.get(mid)
        if member is None:
            return Denial("31", f"No member with ID {mid} on {ctx.payer.name}'s eligibility file.")
        ctx.member = member
        p = ctx.claim.patient
        last, first = _name_key(p.name)
        m_last, m_first = _name_key(member.name)
        if member.birth_date != p.birth_date:
            return Denial("31", f"Member {mid}'s birth date on file does not match box 3 ({p.birth_date}).")
        if last != m_last or first[:1] != m_first[:1]:
            return Denial("31", f"The patient's name in box 2 ({p.name}) does not match member {mid}'s name on file.")
        return None


@register
class OtherPayerPrimary(ClaimRule):
    id = "cob-primary"
    carcs = ("22",)
    title = "When another plan is primary, this payer is billed second, with the primary's payment"

    def check(self, ctx):
        m = ctx.member
        if m is None or not m.primary_payer:
            return None
        if ctx.claim.coverage.payer_order != "secondary":
            return Denial("22", f"The eligibility file shows {m.primary_payer} as the patient's primary payer: "
                                "bill it first, then send this payer the claim with its payment.")
        return None


@register
class PrimaryPaymentInfo(ClaimRule):
    id = "cob-primary-info"
    carcs = ("16",)
    rarcs = ("MA04",)
    title = "A claim billed as secondary carries the primary payer's payment"

    def check(self, ctx):
        cov = ctx.claim.coverage
        if cov.payer_order == "secondary" and cov.other_payer_paid is None:
            return Denial("16", "Billed as secondary but without the primary payer's payment information.",
                          ("MA04",))
        return None


# ============================================================================ line level (deny)


@register
class CoverageDates(LineRule):
    id = "coverage-dates"
    carcs = ("26", "27")
    title = "The date of service falls within the member's coverage"

    def check(self, ctx, i, line):
        m = ctx.member
        if m is None:
            return None
        dos = line.date_of_service
        if m.coverage_start and dos < m.coverage_start:
            return Denial("26", f"Service on {dos} is before coverage began on {m.coverage_start}.", group=PR)
        if m.coverage_end and dos > m.coverage_end:
            return Denial("27", f"Service on {dos} is after coverage ended on {m.coverage_end}.", group=PR)
        return None


@register
class TimelyFiling(LineRule):
    id = "timely-filing"
    carcs = ("29",)
    title = "The payer received the claim within its filing limit (days from the date of service)"

    def check(self, ctx, i, line):
        limit = ctx.payer.timely_filing_days
        days = (ctx.receipt - line.date_of_service).days
        if days <= limit:
            return None
        proof = ctx.claim.timely_filing_proof
        if proof is not None and (proof - line.date_of_service).days <= limit:
            return None  # the first submission was on time; proof accepted
        return Denial("29", f"Received {days} days after the date of service; {ctx.payer.name} allows {limit}.")


@register
class CodesValidOnDate(LineRule):
    id = "code-dates"
    carcs = ("146", "181", "182")
    rarcs = ("M76", "M51")
    title = "Diagnosis, procedure and modifiers were valid codes on the date of service"

    def check(self, ctx, i, line):
        dos = line.date_of_service
        for code in ctx.pointed(line):
            if not valid_on("icd10cm", code, dos):
                return Denial("146", f"Diagnosis {code} was not a valid code on {dos}.", ("M76",))
        system = procedure_system(line.code) or "cpt"
        if not valid_on(system, line.code, dos):
            return Denial("181", f"Procedure {line.code} was not a valid code on {dos}.", ("M51",))
        for m in line.modifiers:
            if not valid_on("modifier", m, dos):
                return Denial("182", f"Modifier {m} was not valid on {dos}.")
        return None


_SEX_WORD = {"F": "female", "M": "male"}


def _policy_why(payer: PayerProfile) -> str:
    return f"{payer.name}'s own payer policy, not the Medicare Code Editor: {payer.sex_policy.note}"


@register
class ProcedureSex(LineRule):
    id = "procedure-sex"
    carcs = ("7",)
    title = "The procedure fits the patient's sex (the payer's own sex policy)"

    def check(self, ctx, i, line):
        sex = ctx.claim.patient.sex
        only = ctx.payer.sex_policy.procedure_for(line.code)
        if only and sex in _SEX_WORD and sex != only:
            return Denial("7", f"Procedure {line.code} is for {_SEX_WORD[only]} patients; box 3 says "
                               f"{_SEX_WORD[sex]} ({_policy_why(ctx.payer)}).")
        return None


@register
class ProcedureAge(LineRule):
    id = "procedure-age"
    carcs = ("6",)
    title = "The procedure fits the patient's age (CPT age bands, e.g. preventive visits)"

    def check(self, ctx, i, line):
        age = ctx.claim.patient.age_on(line.date_of_service)
        for band in demographics().px_ages:
            if line.code in band.codes and not band.fits(age):
                return Denial("6", f"Procedure {line.code} is defined for ages {band.min_age}–{band.max_age} "
                                   f"(CPT code definition); the patient was {age} on {line.date_of_service}.")
        return None


@register
class DiagnosisSex(LineRule):
    id = "diagnosis-sex"
    carcs = ("10",)
    title = ("The diagnoses fit the patient's sex (Medicare Code Editor through FY2024; "
             "the payer's own sex policy)")

    def check(self, ctx, i, line):
        sex, dos = ctx.claim.patient.sex, line.date_of_service
        if sex not in _SEX_WORD:
            return None
        policy = ctx.payer.sex_policy
        for code in ctx.pointed(line):
            edit = mce.sex_conflict(code, dos, sex)
            if edit is not None:
                return Denial("10", f"Diagnosis {code} is edited as a {_SEX_WORD[edit.sex]}-only diagnosis "
                                    f"({edit.source}); box 3 says {_SEX_WORD[sex]}.")
            only = policy.diagnosis_for(code)
            if only and only != sex:
                return Denial("10", f"Diagnosis {code} is for {_SEX_WORD[only]} patients; box 3 says "
                                    f"{_SEX_WORD[sex]} ({_policy_why(ctx.payer)}).")
        return None


@register
class DiagnosisAge(LineRule):
    id = "diagnosis-age"
    carcs = ("9",)
    title = "The diagnoses fit the patient's age (Medicare Code Editor age categories for the date's fiscal year)"

    def check(self, ctx, i, line):
        dos = line.date_of_service
        age = ctx.claim.patient.age_on(dos)
        if age is None:
            return None
        for code in ctx.pointed(line):
            edit = mce.age_conflict(code, dos, age)
            if edit is None:
                continue
            kind = f"a {edit.category} diagnosis" if edit.category else "a diagnosis"
            return Denial("9", f"Diagnosis {code} is {kind} for ages {edit.min_age}–{edit.max_age} "
                               f"({edit.source}); the patient was {age} on {dos}.")
        return None


@register
class ModifierFit(LineRule):
    id = "modifier-fit"
    carcs = ("4",)
    title = "Modifiers fit the procedure, and modifiers the payer requires are there"

    def check(self, ctx, i, line):
        mods = set(line.modifiers)
        for m in ("24", "25", "57"):
            if m in mods and line.code not in EM_CODES:
                return Denial("4", f"Modifier {m} belongs on a visit (E/M) code, not on {line.code}.")
        if "79" in mods and line.code in EM_CODES:
            return Denial("4", f"Modifier 79 belongs on a procedure, not on the visit {line.code}; "
                               "an unrelated visit in a global period takes 24.")
        if {"RT", "LT"} <= mods:
            return Denial("4", "RT and LT on one line: bill both sides as the payer directs (e.g. modifier 50).")
        if {"26", "TC"} <= mods:
            return Denial("4", "26 and TC on one line: together they are the global service; bill it without either.")
        pos = ctx.claim.line_pos(line)
        for rule in ctx.payer.required_modifiers:
            if line.code in rule.codes and (not rule.places_of_service or pos in rule.places_of_service):
                if not mods & rule.one_of:
                    need = " or ".join(sorted(rule.one_of))
                    why = f" ({rule.note})" if rule.note else ""
                    return Denial("4", f"{ctx.payer.name} requires modifier {need} on {line.code}{why}.")
        return None


@register
class PlaceFits(LineRule):
    id = "pos-fit"
    carcs = ("5",)
    title = "The procedure can be billed at this place of service"

    def check(self, ctx, i, line):
        pos = ctx.claim.line_pos(line)
        for rule in ctx.payer.place_rules:
            if line.code in rule.codes and not rule.permits(pos):
                why = f" ({rule.note})" if rule.note else ""
                return Denial("5", f"Procedure {line.code} can't be billed at place of service {pos}{why}.")
        return None


def _abn_on_file(line: ServiceLine) -> bool:
    """GA: the patient signed an advance notice that the service may not be covered;
    GY: the service is excluded by law, so the patient is liable without a notice."""
    return "GA" in line.modifiers or "GY" in line.modifiers


def _who_owes(payer: PayerProfile, line: ServiceLine, excluded: bool = True) -> str:
    """Group for a service the payer won't pay: the patient (PR) when the payer's members agreed to pay
    for care it excludes (``non_covered_liability: patient``, only for ``excluded`` care) or the line
    carries an advance notice (GA/GY); otherwise the provider (CO), never billed to the patient."""
    patient = (excluded and payer.non_covered_liability == "patient") or _abn_on_file(line)
    return PR if patient else CO


@register
class NonCovered(LineRule):
    id = "non-covered"
    carcs = ("96", "49")
    rarcs = ("N130",)
    title = "The service is covered by the payer (and on its fee schedule); routine exams it excludes are CARC 49"

    def check(self, ctx, i, line):
        payer = ctx.payer
        if line.code in payer.routine_exams:
            # a routine exam (no illness, injury or complaint) the payer excludes: CARC 49, e.g.
            # Medicare's statutory exclusion of routine physicals (Social Security Act 1862(a)(7))
            return Denial("49", f"Procedure {line.code} is a routine exam {payer.name} does not cover.",
                          ("N130",), _who_owes(payer, line))
        listed = line.code in payer.non_covered
        unpriced = payer.fee(line.code, line.modifiers) is None and payer.unlisted_percent_of_charge <= 0
        if not (listed or unpriced):
            return None
        # the payer's liability setting is about services it excludes; a code it simply has no
        # price for stays the provider's problem unless the patient signed an advance notice
        why = "is not a covered service" if listed else "has no price on the payer's fee schedule"
        return Denial("96", f"Procedure {line.code} {why}.", ("N130",), _who_owes(payer, line, excluded=listed))


@register
class PlanExclusion(LineRule):
    id = "plan-exclusion"
    carcs = ("204",)
    rarcs = ("N130",)
    title = "The patient's own plan covers the service"

    def check(self, ctx, i, line):
        plan = (ctx.member.plan if ctx.member and ctx.member.plan else ctx.claim.coverage.plan)
        excluded = ctx.payer.plan_exclusions.get(plan)
        if excluded and line.code in excluded:
            return Denial("204", f"The {plan} plan excludes procedure {line.code}.", ("N130",), PR)
        return None


@register
class NonCoveredDiagnosis(LineRule):
    id = "non-covered-diagnosis"
    carcs = ("167",)
    title = "The line's first diagnosis is one the payer covers"

    def check(self, ctx, i, line):
        pointed = ctx.pointed(line)
        if pointed and pointed[0] in ctx.payer.non_covered_diagnoses:
            # who owes it follows the payer's rule for care it excludes, as for CARC 96
            return Denial("167", f"Diagnosis {pointed[0]} is not covered by {ctx.payer.name}.",
                          group=_who_owes(ctx.payer, line))
        return None


@register
class SeparatelyPayableFrom(LineRule):
    id = "payable-from"
    carcs = ("97",)
    rarcs = ("N130",)
    title = "A code the payer pays separately only from a date is bundled before that date"

    def check(self, ctx, i, line):
        start = ctx.payer.separately_payable_from.get(line.code)
        if start is None or line.date_of_service >= start:
            return None
        return Denial("97", f"{ctx.payer.name} pays {line.code} separately only for services from {start}; "
                            f"on {line.date_of_service} it is included in the payment for the visit.", ("N130",))


@register
class DiagnosisSupportsProcedure(LineRule):
    id = "medical-necessity"
    carcs = ("50", "11")
    title = "A diagnosis the line points at is on the payer's covered list for the procedure"

    def check(self, ctx, i, line):
        pointed = ctx.pointed(line)
        for rule in ctx.payer.necessity:
            if line.code in rule.procedures and not any(code in rule.diagnoses for code in pointed):
                carc = ctx.payer.necessity_carc
                group = PR if carc == "50" and _abn_on_file(line) else CO
                which = ", ".join(pointed) or "none"
                if carc == "50":
                    text = f"Procedure {line.code} is not medically necessary for the diagnoses pointed at ({which})."
                else:
                    text = f"The diagnoses pointed at ({which}) don't support procedure {line.code}."
                return Denial(carc, text, group=group)
        return None


def _line_key(claim: Claim, line: ServiceLine) -> tuple:
    # a claim billed as secondary (with the primary's payment) is not a duplicate of one billed as primary
    return (claim.coverage.member_id, claim.rendering.npi, claim.coverage.payer_order, line.date_of_service,
            line.code, tuple(sorted(line.modifiers)))


#: Repeat-procedure modifiers: the same service really was done again that day.
REPEAT_MODIFIERS = frozenset({"76", "77", "91"})


@register
class Duplicate(LineRule):
    id = "duplicate"
    carcs = ("18",)
    title = "Not a repeat of a line on this claim or on a claim already processed"

    def check(self, ctx, i, line):
        if REPEAT_MODIFIERS & set(line.modifiers):
            return None
        claim = ctx.claim
        key = _line_key(claim, line)
        for j, other in ctx.live():
            if j >= i:
                break
            if _line_key(claim, other) == key:
                return Denial("18", f"Line {i + 1} repeats line {j + 1} (same day, code and modifiers).")
        for prior in ctx.history:
            prior_claim, remit = prior if isinstance(prior, tuple) else (prior, None)
            if remit is not None and getattr(remit, "status", "") == "rejected":
                continue  # a rejected claim was never processed
            if claim.frequency_code != ORIGINAL and prior_claim.claim_id == claim.original_claim_ref:
                continue  # a replacement is meant to repeat the claim it replaces
            for other in prior_claim.lines:
                if _line_key(prior_claim, other) == key:
                    ref = prior_claim.claim_id or "an earlier claim"
                    return Denial("18", f"Procedure {line.code} on {line.date_of_service} was already "
                                        f"billed on claim {ref}.")
        return None


#: Modifiers that let a procedure inside another procedure's postoperative period be paid: 79 unrelated,
#: 58 staged or planned, 78 unplanned return to the operating room (Pub. 100-04, ch. 12, sec. 40).
POSTOP_PROCEDURE_MODIFIERS = frozenset({"58", "78", "79"})
#: RARC with a global surgery denial: the visit or procedure is part of the surgery's payment (CO-97 M15,
#: as Noridian JF lists it under "postoperative care / bundled services").
GLOBAL_RARC = "M15"


def _period(days: int) -> str:
    return "no postoperative days" if days == 0 else f"a {days}-day postoperative period"


@register
class GlobalSurgery(LineRule):
    id = "global-surgery"
    carcs = ("97",)
    rarcs = (GLOBAL_RARC,)
    title = ("A visit or procedure inside another procedure's global surgery period carries the modifier "
             "that lifts the edit (57 or 25 the same day, 24 or 79 after)")

    def check(self, ctx, i, line):
        table = global_days()
        is_visit = line.code in EM_CODES
        if not is_visit and table.days(line.code) is None:
            return None  # add-ons (ZZZ), tests and therapy (XXX) are not edited
        mods = set(line.modifiers)
        for j, other in ctx.live():
            if j != i:
                found = self._inside(table, line, is_visit, mods, other, "")
                if found:
                    return found
        claim = ctx.claim
        for prior in ctx.history:
            prior_claim, remit = prior if isinstance(prior, tuple) else (prior, None)
            if remit is not None and getattr(remit, "status", "") == "rejected":
                continue
            if claim.frequency_code != ORIGINAL and prior_claim.claim_id == claim.original_claim_ref:
                continue  # the claim this one replaces
            if (prior_claim.coverage.member_id != claim.coverage.member_id
                    or prior_claim.rendering.npi != claim.rendering.npi):
                continue  # the global period binds the same provider and patient
            remit_lines = getattr(remit, "lines", None) or ()
            for k, other in enumerate(prior_claim.lines):
                if k < len(remit_lines) and remit_lines[k].denied:
                    continue
                found = self._inside(table, line, is_visit, mods, other, prior_claim.claim_id or "an earlier claim")
                if found:
                    return found
        return None

    @staticmethod
    def _inside(table, line, is_visit, mods, other, claim_ref) -> Denial | None:
        days = table.days(other.code)
        if days is None:
            return None
        delta = (line.date_of_service - other.date_of_service).days
        where = f" (claim {claim_ref})" if claim_ref else ""
        if is_visit and (delta == 0 or (days == 90 and delta == -1)):
            if days == 90:
                if "57" in mods:
                    return None
                when = "the day of" if delta == 0 else "the day before"
                return Denial("97", f"Visit {line.code} is on {when} {other.code}{where}, a major procedure with "
                                    f"{_period(days)}: the pre-operative visit is part of the surgery unless it "
                                    "is where the decision for surgery was made (modifier 57; 25 does not lift "
                                    "this edit).", (GLOBAL_RARC,))
            if "25" in mods:
                return None
            return Denial("97", f"Visit {line.code} is on the day of {other.code}{where}, a minor procedure with "
                                f"{_period(days)}: the visit is part of the procedure unless it was significant "
                                "and separately identifiable (modifier 25; 57 is for major surgery).",
                          (GLOBAL_RARC,))
        if not 0 < delta <= days:
            return None
        span = f"the {days}-day postoperative period of {other.code} done on {other.date_of_service}{where}"
        if is_visit:
            if "24" in mods:
                return None
            return Denial("97", f"Visit {line.code} on {line.date_of_service} falls in {span}: follow-up care is "
                                "part of the surgery's payment; a visit for an unrelated problem takes modifier 24.",
                          (GLOBAL_RARC,))
        if mods & POSTOP_PROCEDURE_MODIFIERS:
            return None
        return Denial("97", f"Procedure {line.code} on {line.date_of_service} falls in {span}: an unrelated "
                            "procedure takes modifier 79 (58 if staged or planned, 78 for a return to the "
                            "operating room).", (GLOBAL_RARC,))


#: Pair edit remark codes by modifier indicator: 0, the pair is never paid together on one day
#: (N20, not payable with another service the same date); 1, the column 2 code is bundled into the
#: column 1 code unless a modifier shows a distinct service (M15, billed separately but bundled).
PAIR_RARC = {0: "N20", 1: "M15"}


@register
class PairEdits(LineRule):
    id = "pair-edit"
    carcs = ("97",)
    rarcs = ("N20", "M15")
    title = "Column 2 codes are bundled into column 1 codes on the same day (practice pair edits)"

    def check(self, ctx, i, line):
        payer = ctx.payer
        if not payer.pair_edits:
            return None
        for j, other in ctx.live():
            if j == i or other.date_of_service != line.date_of_service:
                continue
            edit = payer.pair(other.code, line.code)
            if edit is None:
                continue
            if edit.indicator == 1:
                if line.code in EM_CODES:
                    if EM_BYPASS_MODIFIERS & set(line.modifiers):
                        continue
                elif DISTINCT_MODIFIERS & (set(line.modifiers) | set(other.modifiers)):
                    continue
                how = ("modifier 25 if the visit was significant and separate" if line.code in EM_CODES
                       else "a distinct-service modifier (59, XE, XS, XP, XU) only if it was truly separate")
                return Denial("97", f"Procedure {line.code} is part of {other.code} on the same day; "
                                    f"{how}.", (PAIR_RARC[1],))
            return Denial("97", f"Procedure {line.code} is never paid with {other.code} on the same day; "
                                "no modifier changes that.", (PAIR_RARC[0],))
        return None


@register
class UnitLimits(LineRule):
    id = "unit-limit"
    carcs = ("151",)
    rarcs = ("N362",)
    title = "Units per day stay within the payer's limit (practice limits)"

    def check(self, ctx, i, line):
        limit = ctx.payer.unit_limits.get(line.code)
        if limit is None:
            return None
        before = sum(o.units for j, o in ctx.live()
                     if j < i and o.code == line.code and o.date_of_service == line.date_of_service)
        if before + line.units > limit:
            return Denial("151", f"{before + line.units} units of {line.code} on {line.date_of_service}; "
                                 f"{ctx.payer.name} allows {limit} a day.", ("N362",))
        return None


@register
class PriorAuthorization(LineRule):
    id = "prior-auth"
    carcs = ("197",)
    title = ("Services on the payer's prior-authorization list carry a number on file for this member, "
             "service and date")

    def check(self, ctx, i, line):
        if line.code not in ctx.payer.prior_auth:
            return None
        number = (line.prior_auth or ctx.claim.prior_auth).strip()
        if not number:
            return Denial("197", f"Procedure {line.code} needs prior authorization; box 23 is empty.")
        auths = ctx.member.authorizations if ctx.member else ()
        mine = [a for a in auths if a.number.upper() == number.upper()]
        if not mine:
            return Denial("197", f"Authorization {number} in box 23 is not on file for this member: "
                                 f"{line.code} is treated as having no prior authorization.")
        if any(a.covers(line.code, line.date_of_service) for a in mine):
            return None
        a = mine[0]
        if a.codes and line.code not in a.codes:
            return Denial("197", f"Authorization {number} on file approves {', '.join(a.codes)}, not {line.code}.")
        span = f"{a.start or 'open'} to {a.end or 'open'}"
        return Denial("197", f"Authorization {number} on file runs {span}; the service on {line.date_of_service} "
                             "is outside it.")
