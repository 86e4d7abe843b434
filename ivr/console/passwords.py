"""Staff passwords: hashed with argon2id (argon2-cffi, its recommended parameters), never stored
or logged as they are. A sign-in for an account that does not exist checks the password against
a hash made for the purpose, so it costs what a real check costs: the time it takes does not
tell a guesser which emails have accounts."""
from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; a bound keeps one request's work bounded

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """A password the console does not accept (the message says why)."""


def check_strength(password: str, email: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")
    name = email.split("@")[0].lower()
    if len(name) >= 3 and name in password.lower():
        raise WeakPassword("a password must not contain the account's name")
    if len(set(password)) < 5:
        raise WeakPassword("a password needs more different characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _stand_in() -> str:
    """The hash checked when there is no account: same parameters, so the same cost."""
    return _hasher.hash("no account has this password")


def verify(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (no such account), the same work and False."""
    try:
        return _hasher.verify(password_hash or _stand_in(), password[:MAX_LENGTH]) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
