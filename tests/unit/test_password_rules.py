"""The rules a new password must meet (NIST SP 800-63B style: length and a blocklist, no composition rules)."""
import pytest

from app.services.passwords import MAX_LENGTH, MIN_LENGTH, password_problem


def test_the_documented_lengths():
    assert (MIN_LENGTH, MAX_LENGTH) == (8, 128)


@pytest.mark.parametrize("password, email, words", [
    ("short1!", "", "at least 8"),
    ("x" * 129, "", "at most 128"),
    ("password123", "", "commonly used"),
    ("PassWord123", "", "commonly used"),        # the blocklist ignores case
    ("PASSWORD123", "", "commonly used"),
    ("QWERTYUIOP", "", "commonly used"),
    ("rosalind-likes-claims", "rosalind@example.test", "e-mail name"),
    ("my ROSALIND pass 42", "Rosalind@Example.test", "e-mail name"),   # either side's case
    ("aaaaaaaaab", "", "repeats"),
])
def test_a_weak_password_is_refused_with_a_reason(password, email, words):
    problem = password_problem(password, email)
    assert problem is not None and words in problem, problem


@pytest.mark.parametrize("password, email", [
    ("correct horse battery", ""),
    ("a" * 60 + "bcd" + "e" * 65, ""),                      # 128 characters: the longest allowed
    ("bo is a fine name here", "bo@example.test"),          # an e-mail name under 4 letters is not checked
    ("tomato soup on tuesday", "rosalind@example.test"),
])
def test_a_good_password_passes(password, email):
    assert password_problem(password, email) is None
