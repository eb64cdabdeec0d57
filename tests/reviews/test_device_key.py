from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from app.secrets import FileSecretStore
from reviews import device_key
from reviews.errors import DeviceKeyError
from reviews.receipts import b64url_decode
from tests.helpers.secrets import MemorySecretStore


def test_the_key_is_made_once_and_kept_in_the_store() -> None:
    store = MemorySecretStore()
    assert device_key.load(store) is None
    first = device_key.load_or_create(store)
    assert list(store.values) == [device_key.SECRET_NAME]
    again = device_key.load_or_create(store)
    assert again.key_id == first.key_id
    assert again.public_key_raw == first.public_key_raw
    assert again.sign(b"x") == first.sign(b"x")  # Ed25519 is deterministic


def test_the_key_survives_a_restart_in_the_apps_file_store(tmp_path: Path) -> None:
    made = device_key.load_or_create(FileSecretStore(tmp_path / "secrets"))
    # A new process: a new store object over the same directory.
    reopened = device_key.load(FileSecretStore(tmp_path / "secrets"))
    assert reopened is not None and reopened.key_id == made.key_id
    # The private key is not written in the clear.
    stored = (tmp_path / "secrets" / "secrets.bin").read_bytes()
    assert made.public_key_b64.encode() not in stored
    assert b"ed25519:" not in stored


def test_the_key_id_is_derived_from_the_public_key() -> None:
    key = device_key.load_or_create(MemorySecretStore())
    import hashlib
    assert key.key_id == "ed25519-" + hashlib.sha256(key.public_key_raw).hexdigest()[:32]
    other = device_key.load_or_create(MemorySecretStore())
    assert other.key_id != key.key_id
    assert key.key_id in repr(key) and "ed25519:" not in repr(key)


def test_the_public_key_is_exportable_for_registration() -> None:
    key = device_key.load_or_create(MemorySecretStore())
    reg = key.registration()
    assert reg == {"key_id": key.key_id, "algorithm": "ed25519", "public_key": key.public_key_b64}
    assert b64url_decode(reg["public_key"], length=32) == key.public_key_raw
    loaded = serialization.load_pem_public_key(key.public_key_pem().encode())
    assert loaded.public_bytes(serialization.Encoding.Raw,
                               serialization.PublicFormat.Raw) == key.public_key_raw


@pytest.mark.parametrize("damaged", ["", "rsa:abcd", "ed25519:", "ed25519:!!!!",
                                     "ed25519:" + "A" * 42])
def test_a_damaged_stored_key_is_an_error_not_a_silent_new_key(damaged: str) -> None:
    store = MemorySecretStore()
    store.set(device_key.SECRET_NAME, damaged)
    with pytest.raises(DeviceKeyError):
        device_key.load_or_create(store)
    assert store.get(device_key.SECRET_NAME) == damaged


def test_rotate_makes_a_new_key() -> None:
    store = MemorySecretStore()
    old = device_key.load_or_create(store)
    new = device_key.rotate(store)
    assert new.key_id != old.key_id
    assert device_key.load_or_create(store).key_id == new.key_id
