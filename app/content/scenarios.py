"""Claim scenario files: loading and validating ``content/quizzes/scenarios/<slug>.yml``.

The file format is described in ``app/claims/scenarios.py`` (what a scenario is) and in
``docs/authoring.md``. Read through the content reader (``app/content/reader.py``): every problem is
a :class:`~app.content.errors.ContentError` naming the file and the line. Pure: no Flask.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from app.claims.model import Claim, money, parse_date
from app.claims.payer import Member
from app.claims.remittance import CARC_TEXT, CATEGORY_TEXT, REJECTED, STATUS_CODE_TEXT, STATUSES
from app.claims.scenarios import (
    ACTIONS, APPEAL, CAUSES, CHANGE_ACTIONS, REOPEN, RESUBMIT, Change, Expected, Resolution, Scenario,
)
from app.content.reader import SLUG_RE, Reader, check_slug, load_dir

PATH_RE = re.compile(r"^[a-z_]+(?:\.(?:[a-z_]+|[1-9][0-9]*))*$")
TOP_KEYS = {"kind": True, "slug": True, "title": True, "payer": True, "today": True, "difficulty": True,
            "encounter": True, "claim": True, "expected": True, "resolutions": True, "rationale": True,
            "member": False, "history": False, "not_accepted": False}
EXPECTED_KEYS = {"status", "carcs", "causes", "paid", "status_codes", "categories"}
RESOLUTION_KEYS = {"action", "changes", "evidence", "payer", "member", "rationale", "today"}
DATE_KEYS = {"birth_date", "date_of_service", "date_to", "receipt_date", "timely_filing_proof",
             "coverage_start", "coverage_end", "start", "end"}
MONEY_KEYS = {"charge", "other_payer_paid", "deductible_met"}



def _line_of(d: Any, key: str, default: int = 0) -> int:
    fn = getattr(d, "line_of", None)
    return fn(key) if fn else getattr(d, "line", default)


class _Loader(Reader):
    """The content reader, with the getters of claim-shaped data (dates, amounts, units)."""

    def section(self, value: Any, line: int, what: str) -> Mapping:
        if not isinstance(value, Mapping):
            raise self.err(line, f"{what} must be a mapping")
        return value

    def text(self, d: Mapping, key: str, what: str) -> str:
        value = d.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.err(_line_of(d, key), f"{what} must be a non-empty string")
        return value.strip()

    def known_keys(self, d: Mapping, allowed, what: str) -> None:
        for key in d:
            if key not in allowed:
                raise self.err(_line_of(d, key), f"{what}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")

    def values(self, node: Any, line: int, what: str) -> None:
        """Check dates, amounts and units anywhere in claim-shaped data, naming the line at fault."""
        if isinstance(node, Mapping):
            for key, value in node.items():
                kline = _line_of(node, key, line)
                try:
                    if key in DATE_KEYS and value is not None:
                        parse_date(value)
                    elif key in MONEY_KEYS and value is not None:
                        money(value)
                    elif key == "units":
                        if isinstance(value, bool) or int(value) != value:
                            raise ValueError(f"units must be a whole number: {value!r}")
                except (ValueError, TypeError) as exc:
                    raise self.err(kline, f"{what}: {key}: {exc}") from None
                self.values(value, kline, what)
        elif isinstance(node, list):
            for item in node:
                self.values(item, getattr(item, "line", line), what)

    def claim(self, value: Any, line: int, what: str) -> Claim:
        data = self.section(value, line, what)
        self.values(data, line, what)
        lines = data.get("lines")
        if not isinstance(lines, list) or not all(isinstance(x, Mapping) for x in lines):
            raise self.err(_line_of(data, "lines", line), f"{what}: lines must be a list of service lines")
        try:
            return Claim.from_dict(data)
        except (ValueError, TypeError, AttributeError) as exc:
            raise self.err(line, f"{what}: {exc}") from None

    def member(self, value: Any, line: int, what: str) -> Member:
        data = self.section(value, line, what)
        self.values(data, line, what)
        if not data.get("member_id"):
            raise self.err(line, f"{what}: missing member_id")
        try:
            return Member.from_dict(data)
        except (ValueError, TypeError, AttributeError) as exc:
            raise self.err(line, f"{what}: {exc}") from None

    def changes(self, value: Any, line: int, what: str) -> tuple[Change, ...]:
        if not isinstance(value, list) or not value:
            raise self.err(line, f"{what} must be a non-empty list of {{path, value}} edits")
        out = []
        for item in value:
            iline = getattr(item, "line", line)
            item = self.section(item, iline, f"{what} entry")
            self.known_keys(item, {"path", "value", "remove"}, f"{what} entry")
            path = item.get("path")
            if not isinstance(path, str) or not PATH_RE.match(path):
                raise self.err(iline, f"{what}: path {path!r} must be dotted names and positions, "
                                      "e.g. lines.2.modifiers")
            remove = bool(item.get("remove", False))
            if not remove and "value" not in item:
                raise self.err(iline, f"{what}: {path}: give a value (or remove: true)")
            self.values({path.rsplit(".", 1)[-1]: item.get("value")}, iline, what)
            out.append(Change(path=path, value=item.get("value"), remove=remove, line=iline))
        return tuple(out)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate one scenario file; raise ContentError naming ``file:line`` on any problem."""
    path = Path(path)
    spath = str(path)
    r = _Loader(path)
    data = r.data()
    if data is None:
        raise r.err(1, "the file is empty")
    root = r.section(data, 1, "a scenario file")
    r.known_keys(root, TOP_KEYS, "scenario")
    for key, required in TOP_KEYS.items():
        if required and key not in root:
            raise r.err(getattr(root, "line", 1), f"missing required field '{key}'")
    line = lambda key: _line_of(root, key)  # noqa: E731

    if root["kind"] != "scenario":
        raise r.err(line("kind"), f"kind must be 'scenario', not {root['kind']!r}")
    slug = check_slug(r, r.text(root, "slug", "slug"), line("slug"), path)
    title = r.text(root, "title", "title")
    payer = r.text(root, "payer", "payer")
    if not SLUG_RE.match(payer):
        raise r.err(line("payer"), f"payer must be a payer file slug, not {payer!r}")
    try:
        today = parse_date(root["today"])
    except ValueError as exc:
        raise r.err(line("today"), f"today: {exc}") from None
    if today is None:
        raise r.err(line("today"), "today must be a date (YYYY-MM-DD)")
    difficulty = root["difficulty"]
    if difficulty not in (1, 2, 3) or isinstance(difficulty, bool):
        raise r.err(line("difficulty"), "difficulty must be 1, 2 or 3")
    encounter = r.text(root, "encounter", "encounter")
    rationale = r.text(root, "rationale", "rationale")

    claim_data = r.section(root["claim"], line("claim"), "claim")
    claim = r.claim(claim_data, line("claim"), "claim")
    member = r.member(root["member"], line("member"), "member") if "member" in root else None
    history: list[Claim] = []
    if "history" in root:
        if not isinstance(root["history"], list):
            raise r.err(line("history"), "history must be a list of claims")
        for n, item in enumerate(root["history"], 1):
            history.append(r.claim(item, getattr(item, "line", line("history")), f"history claim {n}"))

    exp = r.section(root["expected"], line("expected"), "expected")
    r.known_keys(exp, EXPECTED_KEYS, "expected")
    status = exp.get("status")
    if status not in STATUSES:
        raise r.err(_line_of(exp, "status"), f"expected.status must be one of {', '.join(STATUSES)}")
    carcs = exp.get("carcs", [])
    if not isinstance(carcs, list):
        raise r.err(_line_of(exp, "carcs"), "expected.carcs must be a list of CARC numbers (quoted)")
    for c in carcs:
        if not isinstance(c, str) or c not in CARC_TEXT:
            raise r.err(_line_of(exp, "carcs"), f"expected.carcs: {c!r} is not a CARC this engine uses "
                                                "(quote numbers: \"45\")")
    causes = exp.get("causes")
    if not isinstance(causes, list) or not causes:
        raise r.err(_line_of(exp, "causes", line("expected")), "expected.causes must list at least one cause id")
    for c in causes:
        if c not in CAUSES:
            raise r.err(_line_of(exp, "causes"), f"expected.causes: unknown cause {c!r}")
    status_codes, categories = _acknowledgment_terms(r, exp, status)
    paid = None
    if "paid" in exp:
        try:
            paid = money(exp["paid"])
        except ValueError as exc:
            raise r.err(_line_of(exp, "paid"), f"expected.paid: {exc}") from None
    expected = Expected(status=status, carcs=tuple(carcs), causes=tuple(causes), paid=paid,
                        line=line("expected"), status_codes=status_codes, categories=categories)

    if not isinstance(root["resolutions"], list) or not root["resolutions"]:
        raise r.err(line("resolutions"), "resolutions must list at least one accepted resolution")
    resolutions = []
    for item in root["resolutions"]:
        rline = getattr(item, "line", line("resolutions"))
        res = r.section(item, rline, "resolution")
        r.known_keys(res, RESOLUTION_KEYS, "resolution")
        action = res.get("action")
        if action not in ACTIONS:
            raise r.err(_line_of(res, "action", rline), f"resolution action {action!r} must be one of "
                                                        f"{', '.join(ACTIONS)}")
        rat = r.text(res, "rationale", "resolution rationale")
        changes = r.changes(res["changes"], _line_of(res, "changes"), "changes") if "changes" in res else ()
        evidence = r.changes(res["evidence"], _line_of(res, "evidence"), "evidence") if "evidence" in res else ()
        if action in (RESUBMIT, REOPEN) and not changes:
            raise r.err(rline, f"a {action} resolution must list the corrected fields in 'changes'")
        if action == REOPEN and any(c.path in ("frequency_code", "original_claim_ref") for c in changes):
            raise r.err(_line_of(res, "changes"), "a reopening corrects the processed claim itself: it has no "
                                                  "frequency code or original reference to change")
        if changes and action not in CHANGE_ACTIONS:
            raise r.err(_line_of(res, "changes"), f"'changes' belong to {', '.join(CHANGE_ACTIONS)}, "
                                                  f"not {action}")
        if evidence and action != APPEAL:
            raise r.err(_line_of(res, "evidence"), "'evidence' belongs to an appeal")
        other = r.member(res["member"], _line_of(res, "member"), "resolution member") if "member" in res else None
        rtoday = None
        if "today" in res:
            try:
                rtoday = parse_date(res["today"])
            except ValueError as exc:
                raise r.err(_line_of(res, "today"), f"resolution today: {exc}") from None
        resolutions.append(Resolution(action=action, rationale=rat, line=rline, changes=changes,
                                      evidence=evidence, payer=str(res.get("payer", "") or ""),
                                      member=other, today=rtoday))
    not_accepted = tuple(root.get("not_accepted") or ())
    for item in not_accepted:
        iline = getattr(item, "line", line("not_accepted"))
        na = r.section(item, iline, "not_accepted entry")
        r.known_keys(na, {"action", "why", "changes"}, "not_accepted entry")
        if na.get("action") not in ACTIONS:
            raise r.err(iline, f"not_accepted action {na.get('action')!r} must be one of {', '.join(ACTIONS)}")
        r.text(na, "why", "not_accepted why")

    return Scenario(path=spath, slug=slug, title=title, payer=payer, today=today, difficulty=difficulty,
                    encounter=encounter, claim=claim, expected=expected, resolutions=tuple(resolutions),
                    rationale=rationale, member=member, history=tuple(history), not_accepted=not_accepted,
                    claim_data=_plain(claim_data), lines={k: line(k) for k in root})


def _acknowledgment_terms(r: _Loader, exp: Mapping, status: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A rejected scenario's expectation in acknowledgment terms: claim status codes (required) and
    categories (optional); no CARCs, no paid amount. Other statuses take neither."""
    if status != REJECTED:
        for key in ("status_codes", "categories"):
            if key in exp:
                raise r.err(_line_of(exp, key), f"expected.{key} belongs to a rejected claim's acknowledgment; "
                                                f"a {status} claim gets a remittance: list its carcs")
        return (), ()
    for key in ("carcs", "paid"):
        if exp.get(key) not in (None, []):
            raise r.err(_line_of(exp, key), f"expected.{key}: a rejected claim gets an acknowledgment, not a "
                                            "remittance, so it has no CARCs and no payment; list its "
                                            "status_codes instead")
    codes = exp.get("status_codes")
    if not isinstance(codes, list) or not codes:
        raise r.err(_line_of(exp, "status_codes", _line_of(exp, "status")),
                    "expected.status_codes must list the claim status codes of the rejection (quoted, "
                    "e.g. \"164\")")
    for c in codes:
        if not isinstance(c, str) or c not in STATUS_CODE_TEXT:
            raise r.err(_line_of(exp, "status_codes"), f"expected.status_codes: {c!r} is not a claim status "
                                                       "code this engine uses (quote numbers: \"164\")")
    cats = exp.get("categories", [])
    if not isinstance(cats, list) or any(c not in CATEGORY_TEXT for c in cats):
        raise r.err(_line_of(exp, "categories"), f"expected.categories must list claim status categories "
                                                 f"({', '.join(CATEGORY_TEXT)})")
    return tuple(codes), tuple(cats)


def _plain(node: Any) -> Any:
    """Plain dicts and lists (drop the line bookkeeping) so edits can copy them freely."""
    if isinstance(node, Mapping):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def load_scenarios(directory: str | Path) -> list[Scenario]:
    """Every scenario file in ``directory`` (sorted by name); raises the first ContentError found."""
    return load_dir(directory, load_scenario, "scenario", lambda s: (s.slug, s.lines.get("slug")))
