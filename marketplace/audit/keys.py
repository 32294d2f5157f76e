"""The audit log's keys: the chain's HMAC key and the checkpoints' Ed25519 signing key.

**Chain key.** Each event's ``hash`` is HMAC-SHA256 under the UTF-8 bytes of ``AUDIT_KEY``, as
they are (an auditor holding the key can check an event with any HMAC tool). Its ``key_id`` is
the first 16 hex digits of HMAC-SHA256(key, ``"key-id"``): public, and it tells nothing of the
key. Events made under an older key carry that key's id and verify while the key is listed in
``AUDIT_KEY_RETIRED``.

**Signing key.** The Ed25519 private key is derived deterministically from ``AUDIT_SIGNING_KEY``:
HKDF-SHA256 (no salt, info ``marketplace/audit/checkpoint-signing/ed25519/v1``) to 32 bytes,
which are the private key's seed (``Ed25519PrivateKey.from_private_bytes``). The same secret
therefore gives the same key pair on every machine, and the secret store keeps one string. The
signing ``key_id`` is the first 16 hex digits of the SHA-256 of the raw 32-byte public key, so
anyone holding the public key can compute it. Verification trusts only the public keys derived
from ``AUDIT_SIGNING_KEY`` and ``AUDIT_SIGNING_KEY_RETIRED`` — never a key read from the database.

Derived keys are cached by their secrets (the hot path signs nothing and HMACs once per event).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

SIGNING_KEY_INFO = b"marketplace/audit/checkpoint-signing/ed25519/v1"
KEY_ID_LENGTH = 16


@dataclass(frozen=True)
class ChainKey:
    """One HMAC key of the chain and its public id."""

    key_id: str
    secret: bytes

    def __repr__(self) -> str:
        # Never show key material, even by accident in a log line or traceback.
        return f"ChainKey({self.key_id})"

    def mac(self, content: bytes) -> str:
        """HMAC-SHA256 of ``content`` under this key, as 64 hex digits."""
        return hmac.digest(self.secret, content, "sha256").hex()


def chain_key_id(secret: bytes) -> str:
    """The public id of an HMAC key of the chain."""
    return hmac.digest(secret, b"key-id", "sha256").hex()[:KEY_ID_LENGTH]


@lru_cache(maxsize=32)
def _chain_key(secret: str) -> ChainKey:
    raw = secret.encode("utf-8")
    return ChainKey(chain_key_id(raw), raw)


@dataclass(frozen=True)
class SigningKey:
    """The Ed25519 key pair derived from one signing secret, and its public id."""

    key_id: str
    private: Ed25519PrivateKey

    def __repr__(self) -> str:
        return f"SigningKey({self.key_id})"

    @property
    def public(self) -> Ed25519PublicKey:
        """The public half."""
        return self.private.public_key()

    def sign(self, message: bytes) -> str:
        """The Ed25519 signature of ``message``, base64 (standard alphabet, padded)."""
        return base64.b64encode(self.private.sign(message)).decode("ascii")


def raw_public_key(public: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def signing_key_id(public: Ed25519PublicKey) -> str:
    """The public id of a signing key: the start of the SHA-256 of its raw public key."""
    return hashlib.sha256(raw_public_key(public)).hexdigest()[:KEY_ID_LENGTH]


@lru_cache(maxsize=32)
def _signing_key(secret: str) -> SigningKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SIGNING_KEY_INFO).derive(
        secret.encode("utf-8")
    )
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return SigningKey(signing_key_id(private.public_key()), private)


@dataclass(frozen=True)
class Trust:
    """What verification accepts: the configured keys only, by their ids."""

    chain: Mapping[str, ChainKey]
    signing: Mapping[str, Ed25519PublicKey]

    def signature_holds(self, key_id: str, message: bytes, signature: str) -> bool:
        """Whether ``signature`` (base64) is a valid signature of ``message`` by key ``key_id``."""
        public = self.signing.get(key_id)
        if public is None:
            return False
        try:
            raw = base64.b64decode(signature.encode("ascii"), validate=True)
            public.verify(raw, message)
        except (InvalidSignature, ValueError, UnicodeEncodeError):
            return False
        return True


@lru_cache(maxsize=32)
def _trust(
    chain: str, chain_retired: tuple[str, ...], signing: str, signing_retired: tuple[str, ...]
) -> Trust:
    chain_keys = [_chain_key(secret) for secret in (*chain_retired, chain)]
    signing_keys = [_signing_key(secret) for secret in (*signing_retired, signing)]
    return Trust(
        chain={key.key_id: key for key in chain_keys},
        signing={key.key_id: key.public for key in signing_keys},
    )


def _config(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return current_app.config if config is None else config


def chain_key(config: Mapping[str, Any] | None = None) -> ChainKey:
    """The key new events are chained under (``AUDIT_KEY``)."""
    return _chain_key(_config(config)["AUDIT_KEY"])


def signing_key(config: Mapping[str, Any] | None = None) -> SigningKey:
    """The key new checkpoints are signed with (derived from ``AUDIT_SIGNING_KEY``)."""
    return _signing_key(_config(config)["AUDIT_SIGNING_KEY"])


def retired_signing_keys(config: Mapping[str, Any] | None = None) -> list[SigningKey]:
    """The older signing keys still trusted to verify checkpoints."""
    return [_signing_key(secret) for secret in _config(config)["AUDIT_SIGNING_KEY_RETIRED"]]


def trust(config: Mapping[str, Any] | None = None) -> Trust:
    """Every key verification accepts: the current and the retired ones of both kinds."""
    settings = _config(config)
    return _trust(
        settings["AUDIT_KEY"],
        tuple(settings["AUDIT_KEY_RETIRED"]),
        settings["AUDIT_SIGNING_KEY"],
        tuple(settings["AUDIT_SIGNING_KEY_RETIRED"]),
    )
