"""The installation's device key: the Ed25519 key that signs print receipts.

Generated once per installation and kept in the app's secret store (the OS
keyring, or the app's encrypted-file fallback; ``services.secrets`` in the
app), never in the database, settings or logs.  Its public half is registered
to the user's marketplace account (:meth:`DeviceKey.registration`), and its
id (:func:`reviews.receipts.device_key_id`) is stable: derived from the
public key, so the same key always has the same id.

A stored key that cannot be read is an error (:class:`DeviceKeyError`), never
silently replaced: a new key would not be registered, and the receipts it
signed would be refused.  :func:`rotate` makes a new key on purpose.

The store is used from one process at a time: two processes creating the
first key at the same moment could each keep their own (the app is a single
instance; the CLI uses the key after the app made it, or alone).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviews.errors import DeviceKeyError, ReceiptError
from reviews.receipts import (
    Receipt,
    b64url_decode,
    b64url_encode,
    device_key_id,
    make_envelope,
)

log = logging.getLogger(__name__)

#: The secret-store entry holding the private key.
SECRET_NAME = "reviews.device_key"
_PREFIX = "ed25519:"
_guard = threading.Lock()


class SecretStoreLike(Protocol):
    """What the domain needs of the app's secret store (``services.secrets``)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


class DeviceKey:
    """An Ed25519 signing key and its public identity."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self.public_key_raw: bytes = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id: str = device_key_id(self.public_key_raw)

    def __repr__(self) -> str:  # never show the private half
        return f"DeviceKey({self.key_id})"

    @property
    def public_key_b64(self) -> str:
        """The 32 raw public-key bytes, base64url without padding."""
        return b64url_encode(self.public_key_raw)

    def public_key_pem(self) -> str:
        return self._private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def registration(self) -> dict[str, str]:
        """What to send the marketplace to register this key to an account."""
        return {"key_id": self.key_id, "algorithm": "ed25519",
                "public_key": self.public_key_b64}

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def sign_receipt(self, receipt: Receipt, *, key_id: str | None = None) -> dict[str, Any]:
        """The envelope ``{"receipt": obj, "signature": b64url}`` to send.
        ``key_id``: the id the marketplace gave this key when it was
        registered (receipts name it); by default the locally derived id."""
        expected = key_id or self.key_id
        if receipt.device_key_id != expected:
            raise ReceiptError(
                f"the receipt names the key {receipt.device_key_id}, not this "
                f"installation's key {expected}"
            )
        obj = receipt.to_dict()
        return make_envelope(obj, self.sign(receipt.canonical_bytes()))

    def _secret_value(self) -> str:
        raw = self._private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return _PREFIX + b64url_encode(raw)

    @classmethod
    def _from_secret(cls, value: str) -> DeviceKey:
        if not value.startswith(_PREFIX):
            raise DeviceKeyError("the stored device key is not an Ed25519 key")
        try:
            raw = b64url_decode(value[len(_PREFIX):], length=32, field="device key")
        except ReceiptError as exc:
            raise DeviceKeyError(f"the stored device key is damaged: {exc}") from None
        return cls(Ed25519PrivateKey.from_private_bytes(raw))


def load(secrets: SecretStoreLike) -> DeviceKey | None:
    """The installation's key, or ``None`` if none was made yet."""
    value = secrets.get(SECRET_NAME)
    return None if value is None else DeviceKey._from_secret(value)


def load_or_create(secrets: SecretStoreLike) -> DeviceKey:
    """The installation's key, made and stored on first use."""
    with _guard:
        key = load(secrets)
        if key is not None:
            return key
        key = DeviceKey(Ed25519PrivateKey.generate())
        secrets.set(SECRET_NAME, key._secret_value())
        stored = load(secrets)
        if stored is None or stored.key_id != key.key_id:
            raise DeviceKeyError("the secret store did not keep the new device key")
        log.info("made this installation's receipt signing key %s", key.key_id)
        return key


def rotate(secrets: SecretStoreLike) -> DeviceKey:
    """Replace the key on purpose (a lost or compromised key).  The new key
    must be registered again; the old one should be revoked on the service."""
    with _guard:
        key = DeviceKey(Ed25519PrivateKey.generate())
        secrets.set(SECRET_NAME, key._secret_value())
        log.info("replaced this installation's receipt signing key with %s", key.key_id)
        return key
