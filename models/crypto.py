"""Credentials at rest: every secret strongtie keeps in its database (a calendar's secret address,
a mailbox password or token, a workspace's bot token) is encrypted with a Fernet key from the
environment (``STRONGTIE_SECRET_KEY``), so a copy of the database alone reveals none of them.

Without the key, or with a wrong one, nothing is stored or read, and the error says how to make
a key; no message ever contains the secret or the key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from config.errors import UserError
from config.settings import Secret

HOW_TO_MAKE_A_KEY = (
    "set STRONGTIE_SECRET_KEY to a Fernet key, made once with: "
    "python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' "
    "(keep it with your other secrets: without it the stored credentials cannot be read)"
)


class SecretKeyError(UserError):
    """STRONGTIE_SECRET_KEY is missing or unusable, or a stored secret was made with another key."""


class SecretBox:
    """Encrypts and decrypts stored credentials with the deployment's key."""

    def __init__(self, key: Secret) -> None:
        if not key:
            raise SecretKeyError(f"no STRONGTIE_SECRET_KEY: {HOW_TO_MAKE_A_KEY}")
        try:
            self._fernet = Fernet(key.get().encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise SecretKeyError(f"STRONGTIE_SECRET_KEY is not a Fernet key (32 url-safe base64-encoded bytes): {HOW_TO_MAKE_A_KEY}") from None

    def seal(self, plaintext: str) -> str:
        """``plaintext`` encrypted (and authenticated) as text for a database column."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        """The plaintext of a value :meth:`seal` made; :class:`SecretKeyError` if the key differs
        or the value was altered."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            raise SecretKeyError("a stored credential cannot be decrypted: STRONGTIE_SECRET_KEY is not the key it was "
                                 "stored with (set the original key, or disconnect and connect again)") from None

    def __repr__(self) -> str:
        return "SecretBox(***)"
