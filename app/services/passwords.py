"""Password policy (NIST SP 800-63B style) and Argon2id hashing."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
MAX_LENGTH = 128
BLOCKLIST_PATH = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"

# Argon2id with OWASP's minimum: 19 MiB, 2 passes, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so both answers take the same time. Made on
    first use, not at import: an Argon2 hash is ~40 ms of every worker's start-up otherwise."""
    return _hasher.hash("not-a-real-password-0")


@lru_cache(maxsize=1)
def blocklist() -> frozenset[str]:
    lines = BLOCKLIST_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(l.strip().lower() for l in lines if l.strip() and not l.startswith("#"))


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is refused, in words a user can act on; None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in blocklist():
        return "That password is on the list of commonly used passwords; choose another."
    local = email.split("@")[0].lower()
    if local and len(local) >= 4 and local in lowered:
        return "Don't put your e-mail name in your password."
    if len(set(password)) < 3:
        return "That password repeats the same characters; choose another."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
