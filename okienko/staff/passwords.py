"""Staff passwords: one argon2 hasher, for setting a password (auth.add_user) and for checking one
at sign-in (staff.sign_in), so both always use the same parameters.

argon2, the hasher, and the hash an unknown name is checked against are loaded and made on first
use: starting the server does not pay for a library and an argon2 hash it may never need.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@functools.cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _stand_in() -> str:
    return _hasher().hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` is the one `stored` was made from. With no stored hash (no such account)
    a stand-in hash is checked all the same and False answered, so both take the same time."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        right = _hasher().verify(stored or _stand_in(), password)
    except (VerificationError, InvalidHashError):
        return False
    return right and bool(stored)
