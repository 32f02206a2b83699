"""Markdown to safe HTML: every piece of author-written Markdown on the site goes through here."""
from __future__ import annotations

import markdown as md
import nh3

_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "smarty"]

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "abbr",
    "sub", "sup", "dl", "dt", "dd", "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def render_markdown(text: str) -> str:
    """Render Markdown and strip anything that could run script (tags, handlers, javascript: URLs)."""
    html = md.markdown(text or "", extensions=_EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
