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


class FieldCipher:
    """Encrypts, decrypts and hashes one kind of sensitive field under one secret."""

    def __init__(self, secret: str) -> None:
        """Derive the encryption and lookup keys from ``secret`` (the ``ID_KEY``)."""
        if not secret:
            raise ValueError("the field encryption secret must not be empty")
        secret_bytes = secret.encode("utf-8")
        self._aead = AESGCM(_derive(secret_bytes, _ENCRYPTION_INFO))
        self._lookup_key = _derive(secret_bytes, _LOOKUP_INFO)

    def __repr__(self) -> str:
        # Never show key material, even by accident in a log line or traceback.
        return "FieldCipher(<secret>)"

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` into URL-safe base64 text: version, random nonce, ciphertext."""
        header = bytes([_VERSION])
        nonce = os.urandom(_NONCE_LENGTH)
        # The version byte is authenticated too, so it cannot be swapped without detection.
        ciphertext = self._aead.encrypt(nonce, plaintext.encode("utf-8"), header)
        return _b64encode(header + nonce + ciphertext)

    def decrypt(self, token: str) -> str:
        """The plaintext inside ``token``; raises ``DecryptionError`` if it cannot be trusted."""
        try:
            raw = _b64decode(token)
        except (binascii.Error, UnicodeEncodeError):
            raise DecryptionError("encrypted field is not valid base64") from None
        if len(raw) < 1 + _NONCE_LENGTH + _TAG_LENGTH:
            raise DecryptionError("encrypted field is too short")
        if raw[0] != _VERSION:
            raise DecryptionError(f"encrypted field has unknown version {raw[0]}")
        header, nonce, ciphertext = raw[:1], raw[1 : 1 + _NONCE_LENGTH], raw[1 + _NONCE_LENGTH :]
        try:
            plaintext = self._aead.decrypt(nonce, ciphertext, header)
        except InvalidTag:
            raise DecryptionError(
                "encrypted field was altered or was encrypted under a different key"
            ) from None
        return plaintext.decode("utf-8")

    def lookup_hash(self, plaintext: str) -> str:
        """A keyed hash of ``plaintext`` (64 hex characters) for equality look-ups.

        The caller normalises first (e.g. ``parse_resident_id(...).number``): ``x`` and
        ``X`` hash differently.
        """
        return hmac.new(self._lookup_key, plaintext.encode("utf-8"), hashlib.sha256).hexdigest()
