"""A small in-memory code set with the ``CodeSet`` interface, for tests, benchmarks and offline checks."""
from __future__ import annotations

from typing import Iterable, Mapping

from app.codes.model import ICD10CM, Code


def _key(system: str, code: str) -> str:
    code = str(code).strip().upper().replace(" ", "")
    return code.replace(".", "") if system == ICD10CM else code


class MemoryCodeSet:
    """Codes held in a dict. ICD-10-CM headers (non-billable) can be listed with what they lack."""

    def __init__(self, codes: Mapping[str, Iterable[str]], headers: Mapping[str, str] | None = None,
                 release: str = "practice") -> None:
        self.release = release
        self._codes: dict[tuple[str, str], Code] = {}
        for system, items in codes.items():
            for c in items:
                self._codes[(system, _key(system, c))] = Code(system=system, code=str(c), description="",
                                                              billable=True, release=release)
        self._missing: dict[str, str] = {}
        for c, detail in (headers or {}).items():
            self._codes[(ICD10CM, _key(ICD10CM, c))] = Code(system=ICD10CM, code=c, description="",
                                                            billable=False, kind="category", release=release)
            self._missing[_key(ICD10CM, c)] = detail

    def get(self, system: str, code: str) -> Code | None:
        return self._codes.get((system, _key(system, code)))

    def missing_detail(self, system: str, code: str) -> str | None:
        return self._missing.get(_key(system, code)) if system == ICD10CM else None

    def excludes1_refs(self, code: str) -> tuple[str, ...]:
        return ()
