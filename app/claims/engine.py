"""Adjudication: run the edits, price the lines that survive, and write the remittance."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any, Iterable, Mapping

from app.claims.model import VOID, Claim, ServiceLine, parse_date
from app.claims.payer import BILATERAL, COMPONENT_MODIFIERS, PayerProfile, cents, payer_from_dict
from app.claims.remittance import (
    CO, DENIED, OA, PAID, PARTIALLY_PAID, PR, ZERO, Acknowledgment, Adjustment, LineRemit, Remittance,
)
from app.claims.rules import CLAIM, FRONT_END, LINE, Context, Denial, rules

HUNDRED = Decimal(100)


def _usd(x: Decimal) -> str:
    return f"${x:,.2f}"


def adjudicate(claim: Claim, payer: PayerProfile, as_of: dt.date, codes: Any = None,
               history: Iterable = ()) -> Remittance | Acknowledgment:
    """Adjudicate ``claim`` as ``payer`` would on ``as_of`` and return its answer: an
    :class:`Acknowledgment` (277CA style, status ``rejected``) when a front-end edit stops the
    claim, else a balanced :class:`Remittance` (835).

    ``claim`` and ``payer`` may also be given as plain data (``Claim.from_dict`` and
    ``payer_from_dict`` shapes), ``as_of`` as an ISO date string.

    ``codes`` is a code set (``app.codes.model.CodeSet``); by default the app's built code set.
    ``history`` holds claims this payer already processed (each a Claim, or a (Claim, Remittance)
    pair), for the duplicate-claim edit. Deterministic: same input, same remittance.
    """
    if isinstance(claim, Mapping):  # plain data from a form, YAML or JSON
        claim = Claim.from_dict(claim)
    if isinstance(payer, Mapping):
        payer = payer_from_dict(payer)
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        as_of = parse_date(as_of)
    if codes is None:
        from app.codes import default_codeset  # lazy: the engine imports without a built code DB

        codes = default_codeset()
    ctx = Context(claim=claim, payer=payer, as_of=as_of, codes=codes, history=tuple(history))

    # 1. front-end edits: collect every problem, so the biller fixes them all in one pass
    messages = [m for rule in rules(FRONT_END) for m in rule.check(ctx)]
    if messages:
        return Acknowledgment(
            claim_id=claim.claim_id, total_charge=claim.total_charge, errors=tuple(messages),
            explanations=("Rejected before adjudication: the claim never entered the payer's system, so "
                          "there is no remittance and nothing to appeal. Fix every listed field and send "
                          "the claim again as a new claim.",),
        )

    if claim.frequency_code == VOID:
        return Remittance(status=PAID, claim_id=claim.claim_id, total_charge=ZERO, explanations=(
            f"Void accepted: claim {claim.original_claim_ref} is cancelled; any payment made on it will be "
            "taken back from a future payment.",))

    # 2. claim-level eligibility: one failure denies every line
    for rule in rules(CLAIM):
        denial = rule.check(ctx)
        if denial is not None:
            return _claim_denied(ctx, rule.id, denial)

    # 3. line edits, rule by rule, so cross-line rules see earlier denials
    for rule in rules(LINE):
        for i, line in enumerate(claim.lines):
            if i in ctx.denied:
                continue
            denial = rule.check(ctx, i, line)
            if denial is not None:
                ctx.denied[i] = (rule.id, denial)

    # 4. pricing
    lines = _price(ctx)
    denied = sum(1 for x in lines if x.denied)
    status = DENIED if denied == len(lines) else PAID if denied == 0 else PARTIALLY_PAID
    remit = Remittance(status=status, claim_id=claim.claim_id, total_charge=claim.total_charge, lines=lines)
    return _with_summary(remit)


def _claim_denied(ctx: Context, rule_id: str, denial: Denial) -> Remittance:
    """A whole-claim denial (CO-31, CO-22, CO-16 with MA04 ...), posted as a payer's 835 posts it:
    each line carries the group, CARC and RARCs for its own charge, so every line balances."""
    claim = ctx.claim
    lines = tuple(
        LineRemit(line_number=n, code=x.code, modifiers=x.modifiers, units=x.units, charge=x.charge,
                  allowed=ZERO, paid=ZERO, denied_by=rule_id,
                  adjustments=(Adjustment(denial.group, denial.carc, x.charge, denial.rarc),),
                  explanations=(f"Denied with the whole claim ({denial.group}-{denial.carc}).",))
        for n, x in enumerate(claim.lines, 1)
    )
    return Remittance(status=DENIED, claim_id=claim.claim_id, total_charge=claim.total_charge, lines=lines,
                      explanations=(f"Claim denied ({denial.group}-{denial.carc}): {denial.message}",))


def _denied_line(n: int, line: ServiceLine, rule_id: str, d: Denial) -> LineRemit:
    adj = Adjustment(d.group, d.carc, line.charge, d.rarc)
    who = "the patient owes it" if d.group == PR else "the provider may not bill the patient for it"
    return LineRemit(line_number=n, code=line.code, modifiers=line.modifiers, units=line.units,
                     charge=line.charge, allowed=ZERO, paid=ZERO, adjustments=(adj,), denied_by=rule_id,
                     explanations=(f"Denied {adj.group}-{adj.carc}: {d.message} ({who}).",))


def _reduction_percents(ctx: Context, fees: dict[int, Decimal]) -> dict[int, Decimal]:
    """Multiple-procedure rank percent per line: on each date of service, the payer's surgery lines
    (not exempt, not denied) ranked by their fee-schedule amount (after units, component and
    bilateral pricing), highest first, ties in line order; rank 1 pays the first percent, rank 2
    the second, and every later rank the last one. A date with one such line is not reduced."""
    payer = ctx.payer
    out: dict[int, Decimal] = {}
    if not payer.mpr_percents:
        return out
    by_day: dict[dt.date, list[int]] = {}
    for i, line in ctx.live():
        if line.code in payer.mpr_codes and line.code not in payer.mpr_exempt and i in fees:
            by_day.setdefault(line.date_of_service, []).append(i)
    for idx in by_day.values():
        if len(idx) < 2:
            continue
        for rank, i in enumerate(sorted(idx, key=lambda k: (-fees[k], k))):
            out[i] = payer.mpr_percents[min(rank, len(payer.mpr_percents) - 1)]
    return out


def _price(ctx: Context) -> tuple[LineRemit, ...]:
    claim, payer = ctx.claim, ctx.payer
    # full fee-schedule amount (all units, component and bilateral pricing) for each standing line
    fees: dict[int, Decimal] = {}
    for i, line in ctx.live():
        amount = payer.line_fee(line)
        if amount is not None:
            fees[i] = amount
        else:  # the non-covered rule let it through, so the payer prices unlisted codes from the charge
            fees[i] = cents(line.charge * payer.unlisted_percent_of_charge / HUNDRED)
    percents = _reduction_percents(ctx, fees)

    member = ctx.member
    deductible_left = max(ZERO, payer.deductible - (member.deductible_met if member else ZERO))
    copay_days: set[dt.date] = set()
    other_paid_left = claim.coverage.other_payer_paid if claim.coverage.payer_order == "secondary" else None
    out = []
    for i, line in enumerate(claim.lines):
        n = i + 1
        if i in ctx.denied:
            rule_id, d = ctx.denied[i]
            out.append(_denied_line(n, line, rule_id, d))
            continue
        adjs: list[Adjustment] = []
        notes: list[str] = []
        full = fees[i]
        base = min(line.charge, full)
        allowed = base
        if i in percents and percents[i] != HUNDRED:
            allowed = min(line.charge, cents(full * percents[i] / HUNDRED))
        notes.extend(_pricing_notes(payer, line))
        if line.charge > base:
            adjs.append(Adjustment(CO, "45", line.charge - base))
            notes.append(f"Allowed {_usd(base)} of the {_usd(line.charge)} charge (fee schedule); "
                         f"CO-45 {_usd(line.charge - base)} is written off by the provider.")
        else:
            notes.append(f"Allowed {_usd(base)}: the charge is at or below the fee schedule.")
        if allowed < base:
            adjs.append(Adjustment(CO, "59", base - allowed))
            notes.append(f"Multiple-procedure rule: paid at {percents[i]:.0f}% as a secondary procedure "
                         f"(CO-59 {_usd(base - allowed)}).")

        ded = coins = copay = ZERO
        if line.code in payer.no_cost_share:
            notes.append("No deductible, coinsurance or copay for this service.")
        elif payer.copay > 0 and line.code in payer.copay_codes and line.date_of_service not in copay_days:
            copay = min(payer.copay, allowed)
            copay_days.add(line.date_of_service)
        else:
            ded = min(deductible_left, allowed)
            deductible_left -= ded
            coins = cents((allowed - ded) * payer.coinsurance_percent / HUNDRED)
        paid = allowed - ded - coins - copay
        patient = [(PR, "1", ded), (PR, "2", coins), (PR, "3", copay)]

        if other_paid_left is not None:  # secondary: what the primary paid comes off first (OA-23)
            prior = min(other_paid_left, allowed)
            other_paid_left -= prior
            if prior > 0:
                adjs.append(Adjustment(OA, "23", prior))
                # the primary's payment first covers what the patient would owe, then our payment
                cover = prior
                reduced = []
                for group, carc, amount in reversed(patient):
                    take = min(cover, amount)
                    cover -= take
                    reduced.append((group, carc, amount - take))
                patient = list(reversed(reduced))
                paid -= cover
                notes.append(f"The primary payer paid {_usd(prior)} toward this line (OA-23).")
        for group, carc, amount in patient:
            if amount > 0:
                adjs.append(Adjustment(group, carc, amount))
        ded, coins, copay = (a for _g, _c, a in patient)
        if ded > 0:
            notes.append(f"{_usd(ded)} applied to the deductible (PR-1).")
        if coins > 0:
            notes.append(f"Coinsurance {payer.coinsurance_percent:.0f}% of the rest: {_usd(coins)} (PR-2).")
        if copay > 0:
            notes.append(f"Copay {_usd(copay)} (PR-3).")
        notes.append(f"Paid {_usd(paid)}.")
        out.append(LineRemit(line_number=n, code=line.code, modifiers=line.modifiers, units=line.units,
                             charge=line.charge, allowed=allowed, paid=paid, adjustments=tuple(adjs),
                             explanations=tuple(notes)))
    return tuple(out)


def _pricing_notes(payer: PayerProfile, line: ServiceLine) -> list[str]:
    """Say how a component or bilateral line was priced, in the words of the fee schedule."""
    notes = []
    for m in line.modifiers:
        if m in COMPONENT_MODIFIERS and payer.fee(line.code, (m,)) is not None:
            what = "Professional component (-26)" if m == "26" else "Technical component (-TC)"
            if f"{line.code}-{m}" in payer.fee_schedule:
                notes.append(f"{what}: priced from the payer's component fee for {line.code}.")
            else:
                share = payer.professional_percent if m == "26" else HUNDRED - payer.professional_percent
                notes.append(f"{what}: {share:.0f}% of the global fee for {line.code}.")
            break
    if BILATERAL in line.modifiers:
        notes.append(f"Bilateral (-50): {payer.bilateral_percent:.0f}% of one side's fee.")
    return notes


def _with_summary(remit: Remittance) -> Remittance:
    if remit.status == DENIED:
        head = "Every line was denied; nothing was paid."
    elif remit.status == PARTIALLY_PAID:
        denied = ", ".join(str(x.line_number) for x in remit.lines if x.denied)
        head = f"Partly paid: line(s) {denied} denied, the rest paid."
    else:
        head = "Paid: every line was processed."
    summary = (f"{head} Charged {_usd(remit.total_charge)}, allowed {_usd(remit.allowed)}, "
               f"paid {_usd(remit.paid)}, patient owes {_usd(remit.patient_responsibility)}.")
    return replace(remit, explanations=(summary,))
