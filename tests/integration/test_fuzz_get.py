"""Every GET route of the URL map fuzzed with hypothesis: path segments and query strings full of NUL,
%-encoded junk, invalid UTF-8, huge numbers, unicode and ``../``, as an anonymous visitor, a student and an
instructor. No answer may be a server error, nothing may be logged at ERROR, and each must come within
2 seconds. Derandomised and bounded (the same requests every run), in the style of test_security_matrix."""
from __future__ import annotations

import logging
import re
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.test_security_matrix import _ErrorLog, _get_rules, _value, world  # noqa: F401  (fixture)

#: examples per GET route and visitor: ~46 routes x 3 visitors x 4 = ~550 requests a run
EXAMPLES_PER_RULE = 4
#: the slowest answer allowed, in seconds
DEADLINE = 2.0
FUZZ_VISITORS = ("anonymous", "student_a", "instructor_a")

#: path segments, already as they travel in a URL
SEGMENTS = ("%00", "a%00b", "%01", "%1b%5B31m", "%7f", "%c2%85", "%0d%0a", "%zz", "%", "%%", "%c3%28", "%ff%fe",
            "%ed%a0%80", "..", "..%2f..%2fetc%2fpasswd", "%2e%2e", "%2e", ".", "%20", "+", "-1", "0", "-0", "00",
            str(2**31), str(2**63), str(10**40), "9" * 5000, "1e3", "NaN", "%F0%9F%A9%BA", "%E2%80%AE",
            "%EF%BB%BF", "x" * 3000, "E11.9", "e11.9", "99213", "J3490", "%3Cscript%3E", "%27%20OR%201%3D1",
            "%7B%7B7*7%7D%7D", "null", "None", "%5B%5D")
#: query parameters the site reads, and some it does not
QUERY_KEYS = ("assignment", "item", "type", "q", "next", "kind", "system", "code", "page", "offset", "limit",
              "sort", "version", "go", "chapter", "block", "track", "lesson", "id", "format", "x")
VALUES = SEGMENTS + ("", "1", "2", "case", "quiz", "scenario", "icd10cm", "hcpcs", "cpt", "diabetes",
                     "//evil.example", "/\\evil.example", "javascript:alert(1)", "true", "[]", "%26a%3D1")

_unicode = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=24)
_piece = st.one_of(
    st.sampled_from(SEGMENTS),
    _unicode.map(lambda s: quote(s, safe="")),
    st.integers().map(str),
    st.builds(lambda a, b: a + b, st.sampled_from(SEGMENTS), st.sampled_from(SEGMENTS)),
)
_value_piece = st.one_of(st.sampled_from(VALUES), _unicode.map(lambda s: quote(s, safe="")), st.integers().map(str))


@st.composite
def _requests(draw, rule, ids) -> str:
    """One URL for ``rule``: each path argument real or fuzzed, and a fuzzed query string."""
    path = rule.rule
    for arg in rule.arguments:
        real = quote(_value(rule, arg, ids), safe="/")
        # junk first: hypothesis starts from the simplest draw, so every route's first request has "%00"
        # in every argument; later ones mix real values (a real slug, a junk attempt id) and junk
        segment = draw(st.one_of(_piece, st.just(real), _piece))
        path = re.sub(r"<(?:[^:<>]+:)?%s>" % arg, lambda _: segment, path)
    pairs = draw(st.lists(st.tuples(st.one_of(st.sampled_from(QUERY_KEYS), _value_piece), _value_piece),
                          max_size=4))
    if not pairs:
        return path
    return path + "?" + "&".join(f"{k}={v}" for k, v in pairs)


def test_the_get_fuzzing_covers_every_get_route(app):
    rules = _get_rules(app)
    assert len(rules) >= 40
    assert len(rules) * len(FUZZ_VISITORS) * EXAMPLES_PER_RULE >= 450


@pytest.mark.parametrize("who", FUZZ_VISITORS)
def test_fuzzed_get_requests_cause_no_server_error_and_no_hang(app, world, who):
    ids, clients = world
    client = clients[who].client
    errors = _ErrorLog()
    slow, sent = [], []

    def run(rule):
        @settings(max_examples=EXAMPLES_PER_RULE, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                         HealthCheck.data_too_large])
        @given(url=_requests(rule, ids))
        def get_once(url):
            started = time.perf_counter()
            resp = client.get(url)
            elapsed = time.perf_counter() - started
            sent.append(url)
            assert resp.status_code < 500, f"{who} GET {url[:300]} -> {resp.status_code}"
            assert not errors.records, [r.getMessage() for r in errors.records]
            if elapsed > DEADLINE:
                slow.append(f"{who} GET {url[:300]} took {elapsed:.2f} s")

        get_once()

    root = logging.getLogger()
    root.addHandler(errors)
    try:
        for rule in _get_rules(app):
            run(rule)
    finally:
        root.removeHandler(errors)
    assert slow == [], "\n".join(slow)
    assert len(sent) >= len(_get_rules(app)) * EXAMPLES_PER_RULE
