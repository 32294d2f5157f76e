"""Encryption at rest and keyed look-up hashes for ID numbers."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.common.crypto import DecryptionError, FieldCipher

NUMBER = "11010519491231002X"
cipher = FieldCipher("test-id-number-key")


def _raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_encrypted_text_decrypts_back_to_the_plaintext() -> None:
    assert cipher.decrypt(cipher.encrypt(NUMBER)) == NUMBER


@given(st.text())
def test_any_text_round_trips(plaintext: str) -> None:
    assert cipher.decrypt(cipher.encrypt(plaintext)) == plaintext


def test_the_token_is_url_safe_and_does_not_contain_the_number() -> None:
    token = cipher.encrypt(NUMBER)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert NUMBER not in token
    raw = _raw(token)
    # version byte + 12-byte nonce + ciphertext as long as the plaintext + 16-byte tag
    assert raw[0] == 1
    assert len(raw) == 1 + 12 + len(NUMBER) + 16


def test_encryption_is_randomised() -> None:
    assert cipher.encrypt(NUMBER) != cipher.encrypt(NUMBER)


@pytest.mark.parametrize("index", [0, 1, 12, 13, -1])
def test_a_tampered_token_is_rejected(index: int) -> None:
    raw = bytearray(_raw(cipher.encrypt(NUMBER)))
    raw[index] ^= 0x01
    with pytest.raises(DecryptionError):
        cipher.decrypt(_token(bytes(raw)))


def test_a_token_from_another_key_is_rejected() -> None:
    token = FieldCipher("another-key").encrypt(NUMBER)
    with pytest.raises(DecryptionError, match="different key"):
        cipher.decrypt(token)


def test_the_same_secret_decrypts_across_instances() -> None:
    # Rows written by one worker process are read by another built from the same config.
    assert FieldCipher("test-id-number-key").decrypt(cipher.encrypt(NUMBER)) == NUMBER


@pytest.mark.parametrize("token", ["", "not base64!", "AQ", "中文"])
def test_malformed_tokens_are_rejected(token: str) -> None:
    with pytest.raises(DecryptionError):
        cipher.decrypt(token)


def test_an_unknown_version_is_rejected() -> None:
    raw = bytearray(_raw(cipher.encrypt(NUMBER)))
    raw[0] = 2
    with pytest.raises(DecryptionError, match="unknown version 2"):
        cipher.decrypt(_token(bytes(raw)))


def test_the_lookup_hash_is_stable_for_the_same_key() -> None:
    digest = cipher.lookup_hash(NUMBER)
    assert digest == FieldCipher("test-id-number-key").lookup_hash(NUMBER)
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")


def test_the_lookup_hash_differs_between_keys_and_numbers() -> None:
    assert cipher.lookup_hash(NUMBER) != FieldCipher("another-key").lookup_hash(NUMBER)
    assert cipher.lookup_hash(NUMBER) != cipher.lookup_hash("440524188001010014")


def test_the_lookup_hash_is_keyed_not_a_plain_sha256() -> None:
    # A plain SHA-256 would let anyone with the dump confirm a guessed number.
    assert cipher.lookup_hash(NUMBER) != hashlib.sha256(NUMBER.encode()).hexdigest()


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        FieldCipher("")


def test_the_repr_does_not_reveal_the_secret() -> None:
    assert "test-id-number-key" not in repr(cipher)
