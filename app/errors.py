"""The site's error pages: one table of titles and messages, one function that renders the page.

The app factory registers them for every status; a blueprint that answers some errors its own way
(the exam autosave answers JSON) still renders its HTML pages through :func:`error_page`.
"""
from __future__ import annotations

from flask import render_template

#: status (or a named case such as "csrf") -> (title, message); ``{limit}`` is filled in for 413
MESSAGES: dict[int | str, tuple[str, str]] = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your account does not have access to that page."),
    404: ("Not found", "There is no page at this address."),
    405: ("Not allowed", "That action is not possible on this page."),
    415: ("Not a form", "This page takes a form, not JSON."),
    413: ("Too large", "What was sent is larger than this page takes ({limit}), so none of it was read. "
                       "Send a smaller file or shorter text."),
    429: ("Too many attempts", "Too many attempts in a short time. Please wait a few minutes and try again."),
    500: ("Something went wrong", "An error on our side stopped this page. Nothing you entered was lost "
                                  "unless it said so; please try again."),
    "csrf": ("Form expired", "This form was open too long or came from another site. "
                             "Go back, reload the page and send it again."),
}


def error_text(key: int | str, **values: str) -> tuple[str, str]:
    """(title, message) for a status or named case; an unknown one reads as a 500."""
    title, message = MESSAGES.get(key, MESSAGES[500])
    return title, message.format(**values) if values else message


def error_page(code: int, key: int | str | None = None, **values: str):
    """The HTML error page for ``code`` (its text from ``key``, by default the code itself)."""
    title, message = error_text(code if key is None else key, **values)
    return render_template("errors/error.html", code=code, title=title, message=message), code
