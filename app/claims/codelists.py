"""Lists of codes as payer data writes them: exact codes, ranges (``99202-99215``) and ICD prefixes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


def _key(code: str) -> str:
    return str(code).strip().upper().replace(".", "")


@dataclass(frozen=True)
class CodeList:
    """A set of codes. For ICD-10-CM (``prefixes=True``) an entry also matches every code under it:
    ``E11`` matches ``E11.65``; a range ``O00-O9A`` compares the leading characters. For procedures
    an entry is a code or a same-length range of numbers (``10004-69990``)."""

    entries: tuple[str, ...] = ()
    prefixes: bool = False

    def __post_init__(self) -> None:
        exact, starts, ranges = set(), [], []
        for raw in self.entries:
            e = _key(raw)
            if "-" in e:
                lo, hi = e.split("-", 1)
                ranges.append((lo, hi))
            elif self.prefixes:
                starts.append(e)
            else:
                exact.add(e)
        object.__setattr__(self, "_exact", frozenset(exact))
        object.__setattr__(self, "_starts", tuple(starts))
        object.__setattr__(self, "_ranges", tuple(ranges))
        object.__setattr__(self, "_memo", {})

    @classmethod
    def of(cls, entries: Iterable[str] | None, prefixes: bool = False) -> "CodeList":
        if isinstance(entries, str):
            entries = [entries]
        return cls(tuple(str(e).strip() for e in (entries or ()) if str(e).strip()), prefixes)

    def __contains__(self, code: object) -> bool:
        # memoised: the same few codes are asked about on every claim
        try:
            return self._memo[code]  # type: ignore[attr-defined]
        except KeyError:
            pass
        hit = self._match(str(code))
        if len(self._memo) < 100_000:  # type: ignore[attr-defined]
            self._memo[code] = hit  # type: ignore[attr-defined]
        return hit

    def _match(self, code: str) -> bool:
        k = _key(code)
        if k in self._exact:  # type: ignore[attr-defined]
            return True
        for s in self._starts:  # type: ignore[attr-defined]
            if k.startswith(s):
                return True
        for lo, hi in self._ranges:  # type: ignore[attr-defined]
            head = k[: len(lo)] if self.prefixes else k
            if len(head) == len(lo) and lo <= head <= hi:
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __iter__(self):
        return iter(self.entries)


EMPTY = CodeList()

#: Evaluation and management visit codes (office, hospital, ED, nursing facility, home, preventive,
#: and the rest of the E/M section); modifier 25 belongs on these and on nothing else.
EM_CODES = CodeList.of(["99202-99499"])
#: Surgery section of CPT, where the multiple-procedure rule applies by default.
SURGERY_CODES = CodeList.of(["10004-69990"])
