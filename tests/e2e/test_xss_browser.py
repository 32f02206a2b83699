"""XSS: instructor-written Markdown (quiz instructions and question text) and sanitised Markdown on a
lesson page, loaded in Chromium with a sentinel: nothing runs, no dialog opens, and no script tag,
event-handler attribute or script URL survives in the served HTML."""
from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

PASSWORD = "correct horse battery"
JS = "window.__xss=1;alert(1)"

PAYLOADS = [
    # script tags
    f"<script>{JS}</script>",
    f"<SCRIPT>{JS}</SCRIPT>",
    f"<script src=\"data:text/javascript,{JS}\"></script>",
    f"<scr<script>ipt>{JS}</scr</script>ipt>",
    f"<<script>script>{JS}<</script>/script>",
    f"<script\n>{JS}</script\n>",
    f"<script type=\"module\">{JS}</script>",
    # image and other handlers
    f"<img src=x onerror=\"{JS}\">",
    f"<img src=x onerror={JS}>",
    f"<IMG SRC=x OnErRoR=\"{JS}\">",
    f"<img/src=x/onerror=\"{JS}\">",
    f"<img src=\"x\" onerror=\"&#119;indow.__xss=1\">",
    f"<svg onload=\"{JS}\"></svg>",
    f"<svg><script>{JS}</script></svg>",
    f"<svg><animate onbegin=\"{JS}\" attributeName=x dur=1s>",
    f"<body onload=\"{JS}\">",
    f"<div onmouseover=\"{JS}\">hover</div>",
    f"<p onclick=\"{JS}\">click</p>",
    f"<a href=\"#\" onfocus=\"{JS}\" autofocus>focus</a>",
    f"<input autofocus onfocus=\"{JS}\">",
    f"<details open ontoggle=\"{JS}\">x</details>",
    f"<video><source onerror=\"{JS}\"></video>",
    f"<audio src=x onerror=\"{JS}\"></audio>",
    f"<marquee onstart=\"{JS}\">m</marquee>",
    f"<select autofocus onfocus=\"{JS}\"></select>",
    f"<textarea autofocus onfocus=\"{JS}\"></textarea>",
    # javascript: and data: URLs
    f"<a href=\"javascript:{JS}\">raw link</a>",
    f"<a href=\"JaVaScRiPt:{JS}\">mixed case</a>",
    f"<a href=\" javascript:{JS}\">leading space</a>",
    f"<a href=\"java&#x09;script:{JS}\">tab entity</a>",
    f"<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">decimal entities</a>",
    f"<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">hex entities</a>",
    f"<a href=\"data:text/html,<script>{JS}</script>\">data link</a>",
    f"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">b64</a>",
    f"<a href=\"vbscript:msgbox(1)\">vb</a>",
    f"<iframe src=\"javascript:{JS}\"></iframe>",
    f"<iframe srcdoc=\"<script>{JS}</script>\"></iframe>",
    f"<object data=\"javascript:{JS}\"></object>",
    f"<embed src=\"javascript:{JS}\">",
    f"<form action=\"javascript:{JS}\"><button>go</button></form>",
    f"<math><a xlink:href=\"javascript:{JS}\">m</a></math>",
    # Markdown links and images
    "[x](javascript:window.__xss=1)",
    "[x](JAVASCRIPT:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![y](javascript:alert(1))",
    "![y](x \"onerror=alert(1)\")",
    "[ref]: javascript:alert(1)\n\n[link][ref]",
    "<javascript:alert(1)>",
    "[x](<javascript:alert(1)>)",
    "[a](https://example.test \"\\\" onmouseover=\\\"alert(1)\")",
    # styles and CSS expressions
    "<div style=\"background:url(javascript:alert(1))\">css</div>",
    "<p style=\"width:expression(alert(1))\">ie</p>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    # base, meta, templates and other breakouts
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "</p></section><script>window.__xss=1</script>",
    "\"><script>window.__xss=1</script>",
    "'><img src=x onerror=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<template><script>window.__xss=1</script></template>",
    "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
    "`<img src=x onerror=alert(1)>`",
    "```html\n<script>window.__xss=1</script>\n```",
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "<a href=\"https://example.test\" target=\"_blank\" onclick=\"alert(1)\">ok link, bad handler</a>",
]

BAD_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "link", "meta", "base", "form", "input",
            "img", "video", "audio", "source", "body", "template", "textarea", "select", "frame", "frameset"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def problems_in(fragment: str) -> list[str]:
    """Every tag, handler attribute or script URL in ``fragment`` that could run script."""
    found = []
    if re.search(r"<\s*script", fragment, re.I):
        found.append("<script")
    parser = _Tags()
    parser.feed(fragment)
    for tag, attrs in parser.tags:
        if tag in BAD_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs:
            if name.lower().startswith("on") or name.lower() in ("style", "srcdoc", "formaction"):
                found.append(f"<{tag} {name}=...>")
            if name.lower() in ("href", "src", "action", "data", "xlink:href") and value:
                url = re.sub(r"[\x00-\x20]", "", htmllib.unescape(value)).lower()
                if not url.startswith(("http:", "https:", "mailto:", "#", "/")) and ":" in url.split("/")[0]:
                    found.append(f"<{tag} {name}={value!r}>")
    return found


def test_the_payload_list_is_long_enough():
    assert len(PAYLOADS) >= 50
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_render_markdown_strips_every_payload(payload):
    from app.content.markdown import render_markdown
    out = render_markdown(payload)
    assert problems_in(out) == [], out
    for attr in re.findall(r'(?:href|src)="([^"]*)"', out):
        assert not re.sub(r"[\x00-\x20]", "", htmllib.unescape(attr)).lower().startswith(("javascript:", "data:",
                                                                                         "vbscript:"))


def test_problems_in_catches_what_it_should():
    """The checker itself: it must flag live script, or the tests above prove nothing."""
    assert problems_in("<script>x</script>")
    assert problems_in('<img src=x onerror="x">')
    assert problems_in('<a href="&#106;avascript:alert(1)">x</a>')
    assert problems_in('<a href=" JAVASCRIPT:x">x</a>')
    assert not problems_in('<p>&lt;script&gt; onerror= javascript:</p><a href="https://example.test">ok</a>')


# --------------------------------------------------------------------------- in the browser


def _watch(page):
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def _settle_and_check(page, dialogs):
    page.wait_for_load_state("load")
    # Give handlers (onload, onerror, autofocus/onfocus) a chance to fire.
    page.mouse.move(200, 300)
    page.keyboard.press("Tab")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__xss === undefined"), "an injected script ran"
    assert dialogs == [], dialogs


def _region(html: str, start_marker: str, end_marker: str) -> str:
    """The injected content only: sanitised HTML has no div or section, so the first end marker closes it."""
    start = html.index(start_marker)
    return html[start + len(start_marker):html.index(end_marker, start)]


@pytest.mark.e2e
def test_quiz_markdown_payloads_do_not_run_in_chromium(app, page, make_user, login_as):
    from app.extensions import db
    from app.services import quizzes as quiz_service

    teacher = make_user("xss-teacher@example.test", PASSWORD, role="instructor")
    with app.app_context():
        questions = [{"type": "truefalse", "prompt": p, "points": 1, "answer": True, "feedback": p} for p in PAYLOADS]
        quiz = quiz_service.create_quiz(teacher, "XSS drill", "\n\n".join(PAYLOADS), questions=questions)
        quiz.published_number, quiz.practice = 1, True  # any student may take it
        db.session.commit()
        quiz_id = quiz.id

    dialogs = _watch(page)
    login_as("student", "xss-student@example.test")
    resp = page.goto(f"/quizzes/{quiz_id}")
    assert resp.status == 200
    expect(page.locator(".quiz-instructions")).to_be_visible()
    _settle_and_check(page, dialogs)
    served = resp.text()
    region = _region(served, '<section class="quiz-instructions">', "</section>")
    assert problems_in(region) == []
    # The author's own preview shows the same text (as the instructor).
    page.get_by_role("button", name="Log out").click()
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill("xss-teacher@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    for path in (f"/quizzes/manage/{quiz_id}/preview", f"/quizzes/manage/{quiz_id}"):
        resp = page.goto(path)
        assert resp.status == 200, path
        _settle_and_check(page, dialogs)
        body = resp.text()
        main = body[body.index("<main"):body.index("</main>")]
        main = re.sub(r'<script src="/static/[^"]+"( defer)?></script>', "", main)  # the site's own scripts
        assert problems_in(main.replace('<form', '<x-form').replace('<input', '<x-input')
                           .replace('<select', '<x-select').replace('<textarea', '<x-textarea')) == [], path


@pytest.mark.e2e
def test_sanitised_markdown_on_a_lesson_page_does_not_run(app, page):
    from app.content.markdown import render_markdown
    from app.extensions import db
    from app.models import Lesson

    with app.app_context():
        lesson = db.session.scalar(sa.select(Lesson).order_by(Lesson.id).limit(1))
        slug, original = lesson.slug, lesson.body_html
        lesson.body_html = render_markdown("\n\n".join(PAYLOADS))
        db.session.commit()
    try:
        dialogs = _watch(page)
        resp = page.goto(f"/lessons/{slug}")
        assert resp.status == 200
        _settle_and_check(page, dialogs)
        region = _region(resp.text(), '<div class="lesson-body">', "</div>")
        assert problems_in(region) == []
    finally:
        with app.app_context():
            lesson = db.session.scalar(sa.select(Lesson).where(Lesson.slug == slug))
            lesson.body_html = original
            db.session.commit()
