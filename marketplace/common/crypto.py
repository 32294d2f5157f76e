"""Encryption at rest for resident identity numbers.

A database dump or backup must not show ID numbers, so they are stored encrypted with
AES-256-GCM. Because each encryption uses a fresh random nonce, the same number encrypts
differently every time and cannot be searched for; uniqueness checks and look-ups use a
keyed HMAC-SHA256 hash instead. The hash is keyed so that someone holding only the dump
cannot confirm a guessed number (birth dates and region codes make guessing cheap).

Both keys are derived from one configured secret (``ID_KEY``) with HKDF under
different labels, so a leak of one derived key does not expose the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["DecryptionError", "FieldCipher"]

# Stored in every token so that a future change of algorithm or key can be rolled out
# while old rows are still readable.
_VERSION = 1
_NONCE_LENGTH = 12  # the size AES-GCM is designed for; random 96-bit nonces are safe here
_TAG_LENGTH = 16
_ENCRYPTION_INFO = b"marketplace/id-number/aes-256-gcm/v1"
_LOOKUP_INFO = b"marketplace/id-number/hmac-sha256-lookup/v1"


class DecryptionError(ValueError):
    """A token that is malformed, was altered, or was encrypted under another key."""


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def _b64encode(data: bytes) -> str:
    # Padding is dropped to keep the column short; it is restored when decoding.
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)


class _Keys:
    """The encryption and look-up keys derived from one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the field encryption secret must not be empty")
        secret_bytes = secret.encode("utf-8")
        self.aead = AESGCM(_derive(secret_bytes, _ENCRYPTION_INFO))
        self.lookup_key = _derive(secret_bytes, _LOOKUP_INFO)

    def lookup_hash(self, plaintext: str) -> str:
        return hmac.new(self.lookup_key, plaintext.encode("utf-8"), hashlib.sha256).hexdigest()


class FieldCipher:
    """Encrypts, decrypts and hashes one kind of sensitive field under one secret.

    Older secrets (``retired``) still decrypt and still find a value by its look-up hash, so a
    key can be rotated without a pause: the new key encrypts from the moment it is configured,
    and the rotation command re-encrypts the stored values while the old key is still known.
    """

    def __init__(self, secret: str, retired: Sequence[str] = ()) -> None:
        """Derive the keys of ``secret`` (the ``ID_KEY``) and of each ``retired`` secret."""
        self._current = _Keys(secret)
        self._retired = tuple(_Keys(old) for old in retired)

    def __repr__(self) -> str:
        # Never show key material, even by accident in a log line or traceback.
        return "FieldCipher(<secret>)"

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` into URL-safe base64 text: version, random nonce, ciphertext."""
        header = bytes([_VERSION])
        nonce = os.urandom(_NONCE_LENGTH)
        # The version byte is authenticated too, so it cannot be swapped without detection.
        ciphertext = self._current.aead.encrypt(nonce, plaintext.encode("utf-8"), header)
        return _b64encode(header + nonce + ciphertext)

    def _open(self, token: str, keys: Sequence[_Keys]) -> str:
        try:
            raw = _b64decode(token)
        except (binascii.Error, UnicodeEncodeError):
            raise DecryptionError("encrypted field is not valid base64") from None
        if len(raw) < 1 + _NONCE_LENGTH + _TAG_LENGTH:
            raise DecryptionError("encrypted field is too short")
        if raw[0] != _VERSION:
            raise DecryptionError(f"encrypted field has unknown version {raw[0]}")
        header, nonce, ciphertext = raw[:1], raw[1 : 1 + _NONCE_LENGTH], raw[1 + _NONCE_LENGTH :]
        for key in keys:
            try:
                return key.aead.decrypt(nonce, ciphertext, header).decode("utf-8")
            except InvalidTag:
                continue
        raise DecryptionError("encrypted field was altered or was encrypted under a different key")

    def decrypt(self, token: str) -> str:
        """The plaintext inside ``token`` (under the current key or a retired one).

        Raises ``DecryptionError`` if it cannot be trusted.
        """
        return self._open(token, (self._current, *self._retired))

    def is_current(self, token: str) -> bool:
        """Whether ``token`` was encrypted under the current key (the rotation's test)."""
        try:
            self._open(token, (self._current,))
        except DecryptionError:
            return False
        return True

    def lookup_hash(self, plaintext: str) -> str:
        """A keyed hash of ``plaintext`` (64 hex characters) for equality look-ups.

        The caller normalises first (e.g. ``parse_resident_id(...).number``): ``x`` and
        ``X`` hash differently.
        """
        return self._current.lookup_hash(plaintext)

    def lookup_hashes(self, plaintext: str) -> list[str]:
        """The look-up hashes of ``plaintext`` under the current key, then each retired one.

        While a rotation is under way a stored value may still carry a retired key's hash.
        """
        return [key.lookup_hash(plaintext) for key in (self._current, *self._retired)]
