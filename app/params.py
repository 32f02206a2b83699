"""Values from a request: whole numbers bounded to what an INTEGER column holds, plain decimals, and
the nesting depth of a JSON body."""
from __future__ import annotations

import re
from decimal import Decimal

#: PostgreSQL's INTEGER (SQLite holds 64 bits; the smaller bound serves both)
MAX_DB_INT = 2**31 - 1


def small_digits(value: str, max_len: int) -> bool:
    """Whether ``int(value)`` is safe and small: ASCII digits only, at most ``max_len`` of them.
    ("²".isdigit() is true but int("²") raises, and int() refuses 5,000 digits.)"""
    return 0 < len(value) <= max_len and value.isascii() and value.isdigit()


def db_int(value) -> int:
    """``int(value)`` if it fits an INTEGER column, else ValueError: a number past that is no row, and
    sent to the database it is an error there (SQLite: OverflowError; PostgreSQL: integer out of range).
    As ``MultiDict.get(..., type=db_int)`` it gives the default instead."""
    number = int(value)
    if not -MAX_DB_INT - 1 <= number <= MAX_DB_INT:
        raise ValueError(f"{str(value)[:20]!r}... is out of range")
    return number


#: a number as a person types one: digits with an optional sign and decimal part. Decimal() also takes
#: NaN, sNaN, Infinity, exponents (1e999) and digits of any script; none of those is a quantity anyone
#: means in a form, and NaN makes the next comparison raise.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def plain_decimal(value, max_len: int = 20) -> Decimal:
    """``value`` (text) as a Decimal if it is a plain number of at most ``max_len`` characters, else
    ValueError. Negative zero comes back as zero."""
    text = str(value).strip()
    if len(text) > max_len or not _PLAIN_DECIMAL.fullmatch(text):
        raise ValueError(f"{text[:20]!r} is not a plain number")
    number = Decimal(text)
    return abs(number) if number.is_zero() else number


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str | bytes) -> int:
    """How deep arrays and objects nest in a JSON text (0 for a bare value), counted without parsing:
    the decoder recurses once per level and a few thousand ``[`` raise RecursionError, not ValueError."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest
