"""Markdown to safe HTML: every piece of author-written Markdown on the site goes through here."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

import markdown as md
import nh3

_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "smarty"]

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "abbr",
    "sub", "sup", "dl", "dt", "dd", "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


# --- the shapes Python-Markdown is slow on ----------------------------------------------------------
#
# Python-Markdown's block parser recurses once per level of list or quote (a few hundred levels raise
# RecursionError), and its inline patterns rescan a paragraph once per bracket, angle bracket,
# emphasis or code delimiter and smart quote, so a paragraph of them costs their count squared
# (10,000 '[' took 6.7 s). Each block also costs a fixed ~0.1 ms. Text within these limits renders
# in well under 100 ms at 20,000 characters (benchmarks/markdown_worst.py, benchmarks/results/markdown.md);
# text past them is refused where it is written (markdown_problem) and, if it reaches the renderer
# anyway (an old row), shown as plain text.

@dataclass(frozen=True)
class ShapeLimit:
    #: what is counted, in the words of the message
    what: str
    limit: int
    pattern: re.Pattern


SHAPE_LIMITS = (
    ShapeLimit("square brackets ([ and ], as in links)", 200, re.compile(r"[\[\]]")),
    ShapeLimit("opening angle brackets (<)", 200, re.compile(r"<")),
    ShapeLimit("runs of * or _ (emphasis)", 400, re.compile(r"[*_]+")),
    ShapeLimit("runs of backticks (`code`)", 200, re.compile(r"`+")),
    ShapeLimit("quotation marks and apostrophes", 600, re.compile(r"['\"]")),
    ShapeLimit("backslashes", 400, re.compile(r"\\")),
    ShapeLimit("ampersands (&)", 400, re.compile(r"&")),
    ShapeLimit("lines", 300, re.compile(r"^[ \t]*\S", re.MULTILINE)),
)
#: levels of lists and quotes inside each other (counting each 4 columns of indentation as one)
MAX_NESTING = 6

_CONTAINER = re.compile(r"[ \t]*(?:>|[-*+](?=[ \t])|[0-9]{1,9}[.)](?=[ \t]))")


def nesting(line: str) -> int:
    """How many list or quote levels a line opens or sits in: its indentation in steps of four
    columns, plus every quote mark and list marker at its start (``> - 1. x`` is three)."""
    expanded = line.expandtabs(4)
    indent = len(expanded) - len(expanded.lstrip(" "))
    depth, rest = indent // 4, expanded[indent:]
    while match := _CONTAINER.match(rest):
        depth, rest = depth + 1, rest[match.end():]
    return depth


_FENCE = re.compile(r"[ \t]{0,3}(```|~~~)")


def _outside_fences(lines):
    """The lines that are not inside a ``` or ~~~ fence (code keeps its indentation)."""
    fence = None
    for line in lines:
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and match and match.group(1) == fence:
            fence = None
        elif fence is None:
            yield line


#: characters between an opening [, a link's ( or an HTML-like < and what closes it
MAX_SPAN = 500
_TAG_START = re.compile(r"<[A-Za-z/!?]")


_BRACKETS = re.compile(r"\\.|[\[\]]", re.DOTALL)


def _unclosed(paragraph: str) -> str | None:
    """The first opener in ``paragraph`` that Python-Markdown would scan past MAX_SPAN characters for:
    a ``[`` without its ``]`` (nesting counted, as the link pattern counts it), a link's ``(`` without its
    ``)``, a ``<tag`` without ``>``. Each such scan runs to the end of the paragraph, once per opener."""
    stack: list[int] = []
    for match in _BRACKETS.finditer(paragraph):
        i = match.start()
        if match.group() == "[":
            stack.append(i)
        elif match.group() == "]" and stack:
            if i - stack.pop() > MAX_SPAN:
                return "["
            if paragraph.startswith("(", i + 1) and not _closes(paragraph, i + 1):
                return "("
    if stack:
        return "["
    for match in _TAG_START.finditer(paragraph):
        if paragraph.find(">", match.start(), match.start() + MAX_SPAN) < 0:
            return "<"
    return None


def _closes(text: str, start: int) -> bool:
    """Whether the ``(`` at ``start`` has its ``)`` (nesting counted) within MAX_SPAN characters."""
    depth = 0
    for match in re.finditer(r"[()]", text[start:start + MAX_SPAN + 1]):
        depth += 1 if match.group() == "(" else -1
        if depth == 0:
            return True
    return False


def markdown_problem(text: str) -> str | None:
    """Why ``text`` is past a shape limit, as a sentence naming the limit; None when it is within
    them. Cheap (a few regular expressions), so every door can ask before saving."""
    text = text or ""
    for shape in SHAPE_LIMITS:
        count = sum(1 for _ in shape.pattern.finditer(text))
        if count > shape.limit:
            return (f"The text has {count:,} {shape.what}; at most {shape.limit:,} are allowed, "
                    "to keep every page quick.")
    for paragraph in re.split(r"\n[ \t]*\n", text):
        opener = _unclosed(paragraph)
        if opener:
            closer = {"[": "]", "(": ")", "<": ">"}[opener]
            literal = {"[": "\\[", "(": "\\(", "<": "&lt;"}[opener]
            return (f"A {opener} has no {closer} within {MAX_SPAN} characters of it in its paragraph. Close it, "
                    f"or write {literal} for the character itself.")
    deepest = max((nesting(line) for line in _outside_fences(text.splitlines())), default=0)
    if deepest > MAX_NESTING:
        return (f"Lists, quotes or indentation nest {deepest:,} levels deep; at most {MAX_NESTING} are allowed. "
                "Indent code by at most 24 spaces, or put it in a ``` fence.")
    return None


#: the start of a rendered table (see render_markdown)
TABLE_OPEN = '<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways)"><table>'
#: changes whenever the HTML render_markdown makes for the same text changes, so stored lessons are
#: rendered again by the next `flask content import`
RENDER_VERSION = "2"


def render_markdown(text: str) -> str:
    """Render Markdown and strip anything that could run script (tags, handlers, javascript: URLs).

    Text past the shape limits is not given to the Markdown parser: it comes back as escaped plain
    text, one paragraph per blank-line block (linear, and never a RecursionError)."""
    text = text or ""
    if markdown_problem(text) is not None:
        return "".join(f"<p>{html.escape(block.strip())}</p>\n"
                       for block in re.split(r"\n[ \t]*\n", text) if block.strip())
    html_out = md.markdown(text, extensions=_EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html_out,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    # our own wrapper, added after sanitising (nh3 leaves every <table> bare): a wide table scrolls
    # inside its own keyboard-focusable region, so the page itself never scrolls sideways on a phone
    return clean.replace("<table>", TABLE_OPEN).replace("</table>", "</table></div>")
