"""Whole numbers from a request, bounded to what an INTEGER column holds."""
from __future__ import annotations

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
