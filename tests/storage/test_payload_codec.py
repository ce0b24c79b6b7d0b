"""The payload codec: what Relay sends to Temporal is sealed, comes back intact, and rotates."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload

from storage.payload_codec import ENCODING, CodecKeyError, EncryptionCodec, data_converter

PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"email": "ada@example.com"}')


async def test_a_payload_is_sealed_and_opened_again() -> None:
    codec = EncryptionCodec(EncryptionCodec.generate_key())
    [sealed] = await codec.encode([PLAIN])
    assert sealed.metadata["encoding"] == ENCODING
    assert b"ada@example.com" not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [PLAIN]


async def test_sealing_twice_gives_different_ciphertexts() -> None:
    codec = EncryptionCodec(EncryptionCodec.generate_key())
    first, second = await codec.encode([PLAIN, PLAIN])
    assert first.data != second.data  # a fresh nonce each time


async def test_a_rotated_key_still_opens_what_the_old_one_sealed() -> None:
    old, new = EncryptionCodec.generate_key(), EncryptionCodec.generate_key()
    [sealed_before] = await EncryptionCodec(old).encode([PLAIN])
    rotated = EncryptionCodec(f"{new},{old}")
    [sealed_after] = await rotated.encode([PLAIN])
    assert sealed_after.metadata["encryption-key-id"].decode() == rotated.key_id
    assert await rotated.decode([sealed_before, sealed_after]) == [PLAIN, PLAIN]
    with pytest.raises(CodecKeyError, match="does not list"):
        await EncryptionCodec(new).decode([sealed_before])  # the old key was dropped too soon


async def test_payloads_from_before_the_codec_pass_through() -> None:
    codec = EncryptionCodec(EncryptionCodec.generate_key())
    assert await codec.decode([PLAIN]) == [PLAIN]


async def test_a_tampered_payload_is_refused() -> None:
    codec = EncryptionCodec(EncryptionCodec.generate_key())
    [sealed] = await codec.encode([PLAIN])
    sealed.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(InvalidTag):
        await codec.decode([sealed])


@pytest.mark.parametrize("keys", ["", "not-base64!", "c2hvcnQ="])
def test_bad_keys_are_refused_with_the_reason(keys: str) -> None:
    with pytest.raises(CodecKeyError):
        EncryptionCodec(keys)


def test_without_keys_the_default_converter_is_used() -> None:
    assert data_converter(None).payload_codec is None
