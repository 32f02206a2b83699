"""Worst-case Markdown render times: for each input shape that makes Python-Markdown slow, the costliest
text the shape limits allow (app/content/markdown.py: SHAPE_LIMITS, MAX_NESTING) at the longest field
(20,000 characters, quiz instructions), rendered by render_markdown; and, for the record, the same shapes
past the limits as Python-Markdown alone took them. Writes benchmarks/results/markdown.md and exits 1
if any allowed text takes 100 ms or more.

    .venv/bin/python benchmarks/markdown_worst.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "markdown.md"

from app.content.markdown import MAX_NESTING, markdown_problem, render_markdown  # noqa: E402

#: the longest Markdown field (app/quizzes/forms.py: instructions)
LENGTH = 20_000
GOAL_MS = 100.0
WORDS = "The payer denied the line because the modifier was missing from the claim form. "


def fill(head: str, tail: str = "") -> str:
    """``head`` then prose up to LENGTH characters, in one paragraph (the costliest place for inline
    shapes: Python-Markdown rescans a paragraph once per delimiter)."""
    room = LENGTH - len(head) - len(tail)
    return head + (WORDS * (room // len(WORDS) + 1))[:max(room, 0)] + tail


def repeat(unit: str, times: int, sep: str = "") -> str:
    """``unit`` ``times`` times (fewer if the field cannot hold them), then prose."""
    times = min(times, (LENGTH - 1) // (len(unit) + len(sep)))
    return fill(sep.join([unit] * times))


def nested_list(levels: int) -> str:
    """Lists ``levels`` deep, repeated up to the line limit, then prose."""
    block = "".join("    " * i + f"- level {i + 1}\n" for i in range(levels)) + "\n"
    return fill(block * (299 // (levels + 1)), "")


#: name -> text within every limit (each takes one limit to its maximum, or all of them at once)
ALLOWED = {
    "100 '[' each closed 499 characters on": lambda: repeat("[" + "a" * 498 + "]", 100),
    "100 '[' nested, then 100 ']'": lambda: repeat("[" * 100 + "]" * 100, 1),
    "100 '[a](' each closed 495 characters on": lambda: repeat("[a](" + "b" * 494 + ")", 100),
    "100 '[a](b)' links": lambda: repeat("[a](b) ", 100),
    "200 '![a]' images without a link": lambda: repeat("![a]", 100),
    "200 '[^a]' footnote-like": lambda: repeat("[^a]", 100),
    "200 '<a ' each closed 496 characters on": lambda: repeat("<a " + "b" * 495 + ">", 200),
    "200 '<a>' tags": lambda: repeat("<a>", 200),
    "200 '< ' alone": lambda: repeat("< ", 200),
    "400 '*a' emphasis runs": lambda: repeat("*a", 400),
    "400 '**a' strong runs": lambda: repeat("**a", 400),
    "400 '_a' emphasis runs": lambda: repeat("_a", 400),
    "200 '`a' code runs": lambda: repeat("`a", 200),
    "600 quotes": lambda: repeat("'", 600),
    "600 quotes between words": lambda: repeat("a'b\" ", 300),
    "400 backslashes": lambda: repeat("\\", 400),
    "400 '\\*' escapes": lambda: repeat("\\*", 400),
    "400 ampersands": lambda: repeat("&", 400),
    "400 '&amp;' entities": lambda: repeat("&amp;", 400),
    "300 one-word paragraphs": lambda: fill("a\n\n" * 299, "\n\n"),
    "300 list items": lambda: fill("- a\n" * 299, "\n\n"),
    "300 numbered items": lambda: fill("1. a\n" * 299, "\n\n"),
    "300 quoted paragraphs": lambda: fill("> a\n\n" * 299, "\n\n"),
    "300 headings": lambda: fill("## a\n" * 299, "\n\n"),
    "300 table rows": lambda: fill("| a | b |\n|---|---|\n" + "| a | b |\n" * 297, "\n\n"),
    f"lists nested {MAX_NESTING} deep, repeated": lambda: nested_list(MAX_NESTING),
    f"'> ' nested {MAX_NESTING} deep": lambda: fill(("> " * MAX_NESTING + "a\n\n") * 299, ""),
    "every limit at once, one paragraph": lambda: fill(
        "[a]" * 100 + "< " * 200 + "*a" * 400 + "`a" * 200 + "'" * 600 + "\\ " * 400 + "&" * 400),
    "every limit at once, over 299 list items": lambda: fill("".join(
        "- " + ("[a] " if i < 100 else "") + ("< " if i < 200 else "") + "*a " + ("*a " if i < 101 else "")
        + ("`a " if i < 200 else "") + "'' " + ("\\ " if i < 101 else "") + "\\ & " + ("& " if i < 101 else "")
        + "\n" for i in range(299)), "\n"),
    "400 '*a ' unclosed emphasis": lambda: repeat("*a ", 400),
    "400 '**a ' unclosed strong": lambda: repeat("**a ", 400),
    "200 '`a ' unclosed code": lambda: repeat("`a ", 200),
    "200 '<div>' lines (raw HTML blocks)": lambda: fill("<div>\n" * 200, "\n\n"),
    "200 '<!--' comments, closed": lambda: repeat("<!-- a -->", 200),
    "plain prose, one paragraph": lambda: fill(""),
    "plain prose, 80-character lines": lambda: fill("", "")[:LENGTH].replace(". ", ".\n"),
}

#: the same shapes past the limits: refused at the doors, plain text if they reach the renderer
PAST = {
    "200 '[' in one paragraph, unclosed": fill("[" * 200),
    "200 '![' in one paragraph, unclosed": fill("![" * 200),
    "100 '[a](' unclosed": fill("[a](" * 100),
    "200 '<a ' unclosed": fill("<a " * 200),
    "10,000 '['": "[" * 10_000,
    "2,000 '['": "[" * 2_000,
    "2,000 '![' ": "![" * 1_000,
    "5,000 quotes": "'" * 5_000,
    "6,666 one-word paragraphs": "a\n\n" * 6_666,
    "lists nested 300 deep": "".join("    " * i + "- x\n" for i in range(300)),
    "'1. ' × 6,666 on one line (nested lists)": "1. " * 6_666,
}


def cpu_ms(func, text: str, repeat_n: int) -> float:
    """The least CPU time of ``repeat_n`` runs (process time: other load on the machine counts less)."""
    best = float("inf")
    for _ in range(repeat_n):
        start = time.process_time()
        func(text)
        best = min(best, time.process_time() - start)
    return best * 1000


def raw_markdown(text: str) -> None:
    import markdown
    try:
        markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists", "smarty"])
    except RecursionError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows, worst = [], 0.0
    for name, make in ALLOWED.items():
        text = make()
        problem = markdown_problem(text)
        assert problem is None, f"{name}: not allowed: {problem}"
        ms = cpu_ms(render_markdown, text, args.repeat)
        worst = max(worst, ms)
        rows.append(f"| {name} | {len(text):,} | {ms:.1f} |")
        print(f"{name:45} {len(text):7,} {ms:8.1f} ms", flush=True)
    past = []
    for name, text in PAST.items():
        assert markdown_problem(text) is not None, name
        before = cpu_ms(raw_markdown, text, 1)
        after = cpu_ms(render_markdown, text, args.repeat)
        past.append(f"| {name} | {len(text):,} | {before:,.0f} | {after:.1f} |")
        print(f"{name:45} {len(text):7,} {before:8.0f} ms before, {after:.1f} ms now", flush=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    ok = worst < GOAL_MS
    RESULTS.write_text(
        "# Markdown: worst-case render times\n\n"
        f"Recorded {stamp} on {platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()}); "
        f"least CPU time (process time) of {args.repeat} runs of `render_markdown` (Python-Markdown + nh3). "
        "Reproduce: `.venv/bin/python benchmarks/markdown_worst.py` (also in `make bench`).\n\n"
        f"Goal: any text within the shape limits (`app/content/markdown.py`) renders in under {GOAL_MS:.0f} ms "
        f"at {LENGTH:,} characters, the longest Markdown field. **Worst allowed: {worst:.1f} ms "
        f"({'met' if ok else 'NOT met'}).** Instructor Markdown is rendered once, when it is saved, so a "
        "page view renders none.\n\n"
        "## Allowed text, each limit at its maximum\n\n"
        "| shape | characters | CPU ms |\n|---|---:|---:|\n" + "\n".join(rows) + "\n\n"
        "## Past the limits (refused where they are written)\n\n"
        "Before: Python-Markdown alone, as every page view used to run it (one run). Now: `render_markdown`, "
        "which shows such text as escaped plain text without parsing it.\n\n"
        "| shape | characters | before ms | now ms |\n|---|---:|---:|---:|\n" + "\n".join(past) + "\n")
    print(f"worst allowed: {worst:.1f} ms; written to {RESULTS.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
