"""Summarise a `mutmut run` (make mutate) as Markdown: killed share per module, every survivor with its
diff, and which survivors are explained as equivalent (benchmarks/mutation_equivalents.yml)."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
EQUIVALENTS = ROOT / "benchmarks" / "mutation_equivalents.yml"


def results() -> dict[str, str]:
    out = subprocess.run([MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name.startswith("app."):
            found[name] = status.strip()
    return found


def module_of(mutant: str) -> str:
    """app.claims.rules.x_check__mutmut_3 -> app/claims/rules.py"""
    parts = mutant.split(".")
    while parts and (parts[-1].startswith("x") or "ǁ" in parts[-1] or "__mutmut_" in parts[-1]):
        parts.pop()
    return "/".join(parts) + ".py"


def diff(mutant: str) -> str:
    shown = subprocess.run([MUTMUT, "show", mutant], cwd=ROOT, capture_output=True, text=True).stdout
    lines = [l for l in shown.splitlines() if l.startswith(("-", "+")) and not l.startswith(("---", "+++"))]
    return "\n".join(lines[:6])


def main() -> None:
    status = results()
    if not status:
        sys.exit("no mutmut results: run `make mutate` first")
    explained = yaml.safe_load(EQUIVALENTS.read_text()) if EQUIVALENTS.exists() else {}
    explained = explained or {}
    per_module: dict[str, Counter] = defaultdict(Counter)
    for name, st in status.items():
        per_module[module_of(name)][st] += 1
    total = Counter(status.values())
    killed = total["killed"] + total["timeout"]
    judged = sum(total.values()) - total["not checked"] - total["skipped"]
    survivors = sorted(n for n, st in status.items() if st in ("survived", "no tests", "suspicious"))
    unexplained = [n for n in survivors if n not in explained]
    print("# Mutation testing of the engines\n")
    print(f"Recorded {dt.date.today().isoformat()} by `make mutate` (mutmut, `setup.cfg` [mutmut]: the pure "
          "engines and the password rules against tests/unit, test_auth.py and test_codebook_api.py).\n")
    share = 100.0 * killed / judged if judged else 0.0
    print(f"**{killed} of {judged} mutants killed: {share:.1f}%** "
          f"({total['survived']} survived, {total['no tests']} reached by no test, "
          f"{total['timeout']} timed out (counted as killed), {len(survivors) - len(unexplained)} of the "
          f"survivors explained as equivalent below).\n")
    print("| module | mutants | killed | survived | no tests | killed % |\n|---|---|---|---|---|---|")
    for mod in sorted(per_module):
        c = per_module[mod]
        n = sum(c.values()) - c["not checked"] - c["skipped"]
        k = c["killed"] + c["timeout"]
        print(f"| {mod} | {n} | {k} | {c['survived']} | {c['no tests']} | {100.0 * k / n if n else 0:.1f} |")
    print("\n## Survivors explained as equivalent\n")
    for name in survivors:
        if name in explained:
            print(f"- `{name}`: {explained[name]}")
    print("\n## Survivors not yet killed or explained\n")
    for name in unexplained:
        print(f"- `{name}` ({status[name]})\n\n```diff\n{diff(name)}\n```")


if __name__ == "__main__":
    main()
