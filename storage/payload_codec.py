"""Everything Relay hands to Temporal is encrypted before it leaves the process (SPEC §7).

Event data — customers' names, emails, phone numbers — travels in workflow inputs, activity
inputs and results, signals and failure messages, and Temporal keeps all of it in its histories
for the namespace's retention: readable by anyone with the Temporal UI or its database. The
payload codec encrypts each payload with AES-256-GCM before the SDK sends it and decrypts it when
it comes back, so Temporal stores only ciphertext. This module sits beside ``storage.secrets``
for the same reason: it is how Relay keeps data at rest that someone else's store holds.

Keys rotate: ``RELAY_CODEC_KEYS`` lists base64 keys, the first encrypts, every one listed
decrypts (each payload names the key it was sealed with), so a retired key stays listed until
the histories it sealed have aged out. Payloads that carry no encryption marker (histories from
before the codec, or Temporal's own) pass through unchanged.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from storage.payload_types import RelayPayloadConverter

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12


class CodecKeyError(ValueError):
    """A configured key is not a base64 AES-256 key, or a payload names a key not configured."""


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: str) -> None:
        parsed = [_parse_key(part.strip()) for part in keys.split(",") if part.strip()]
        if not parsed:
            raise CodecKeyError("RELAY_CODEC_KEYS holds no key")
        self._sealing_id = parsed[0][0]
        self._keys = dict(parsed)

    @staticmethod
    def generate_key() -> str:
        return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()

    @property
    def key_id(self) -> str:
        """The id of the key new payloads are sealed with."""
        return self._sealing_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(payload) for payload in payloads]

    def _seal(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._keys[self._sealing_id].encrypt(nonce, payload.SerializeToString(), None)
        metadata = {"encoding": ENCODING, KEY_ID: self._sealing_id.encode()}
        return Payload(metadata=metadata, data=nonce + sealed)

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before the codec, or not Relay's
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        key = self._keys.get(key_id)
        if key is None:
            raise CodecKeyError(
                f"payload sealed with key {key_id!r}, which RELAY_CODEC_KEYS does not list"
            )
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        return Payload.FromString(key.decrypt(nonce, sealed, None))


def _parse_key(text: str) -> tuple[str, AESGCM]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise CodecKeyError("a RELAY_CODEC_KEYS entry is not base64") from exc
    if len(raw) != 32:
        raise CodecKeyError("a RELAY_CODEC_KEYS entry must be a 32-byte (AES-256) key")
    # The id names the key in each payload without revealing it.
    return hashlib.sha256(raw).hexdigest()[:12], AESGCM(raw)


def data_converter(codec: EncryptionCodec | None) -> DataConverter:
    """Temporal's default converter (decoding dataclasses with ``storage.payload_types``),
    sealing every payload with ``codec`` when there is one; failure messages and stack traces
    are moved into a payload too, so an error naming a recipient is sealed like the rest."""
    default = DataConverter(payload_converter_class=RelayPayloadConverter)
    if codec is None:
        return default
    return dataclasses.replace(
        default,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
