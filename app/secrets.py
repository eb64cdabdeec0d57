"""Secrets: OctoPrint API keys, marketplace tokens, the receipt signing key.

They live in the operating system's keyring.  Where no usable keyring exists
(a headless station, CI), :class:`FileSecretStore` is used instead: secrets
encrypted with Fernet in ``<data>/secrets/secrets.bin``, the key in a separate
file, both readable by the owner only.  It never prompts.  The settings dialog
shows which store is in use (:attr:`SecretStore.description`).

Domain packages do not import this module; they receive an object with the
``get``/``set``/``delete`` methods of :class:`SecretStore`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

SERVICE = "layerline"


class SecretStore(Protocol):
    description: str

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


class SecretStoreError(Exception):
    """A secret could not be read or stored."""


class KeyringSecretStore:
    def __init__(self, namespace: str) -> None:
        import keyring

        self._keyring = keyring
        self._ns = namespace
        self.description = f"system keyring ({type(keyring.get_keyring()).__name__})"

    def _user(self, name: str) -> str:
        return f"{self._ns}:{name}"

    def get(self, name: str) -> str | None:
        value: str | None = self._keyring.get_password(SERVICE, self._user(name))
        return value

    def set(self, name: str, value: str) -> None:
        self._keyring.set_password(SERVICE, self._user(name), value)

    def delete(self, name: str) -> None:
        with contextlib.suppress(self._keyring.errors.PasswordDeleteError):
            self._keyring.delete_password(SERVICE, self._user(name))


class FileSecretStore:
    """Encrypted file store for machines without a keyring.  Never prompts."""

    def __init__(self, directory: Path) -> None:
        from cryptography.fernet import Fernet

        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)
        self._dir.chmod(0o700)
        self._key_file = self._dir / "secrets.key"
        self._data_file = self._dir / "secrets.bin"
        self._guard = threading.Lock()
        if not self._key_file.exists():
            self._write_private(self._key_file, Fernet.generate_key())
        self._fernet = Fernet(self._key_file.read_bytes().strip())
        self.description = f"encrypted file in {self._dir} (no system keyring found)"

    @staticmethod
    def _write_private(path: Path, data: bytes) -> None:
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)

    def _load(self) -> dict[str, str]:
        from cryptography.fernet import InvalidToken

        if not self._data_file.exists():
            return {}
        try:
            raw = self._fernet.decrypt(self._data_file.read_bytes())
        except InvalidToken as exc:
            raise SecretStoreError(
                f"the secrets file {self._data_file} cannot be decrypted"
            ) from exc
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise SecretStoreError("the secrets file is damaged")
        return {str(k): str(v) for k, v in data.items()}

    def get(self, name: str) -> str | None:
        with self._guard:
            return self._load().get(name)

    def set(self, name: str, value: str) -> None:
        with self._guard:
            data = self._load()
            data[name] = value
            self._write_private(self._data_file, self._fernet.encrypt(json.dumps(data).encode()))

    def delete(self, name: str) -> None:
        with self._guard:
            data = self._load()
            if data.pop(name, None) is not None:
                self._write_private(
                    self._data_file, self._fernet.encrypt(json.dumps(data).encode())
                )


def _keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return False
        priority = getattr(backend, "priority", 0)
        if priority is None or float(priority) < 1:
            return False
        # A real round trip: a Secret Service with no running daemon is only
        # found out when used.
        probe = "layerline-probe"
        keyring.set_password(SERVICE, probe, "ok")
        ok = keyring.get_password(SERVICE, probe) == "ok"
        keyring.delete_password(SERVICE, probe)
        return ok
    except Exception as exc:
        log.debug("system keyring not usable: %s", exc)
        return False


def open_store(directory: Path, namespace: str, *, prefer_keyring: bool = True) -> SecretStore:
    """The keyring when one works, else the encrypted-file fallback."""
    if prefer_keyring and os.environ.get("LAYERLINE_NO_KEYRING") != "1" and _keyring_usable():
        store: SecretStore = KeyringSecretStore(namespace)
    else:
        store = FileSecretStore(directory)
    log.info("secrets are kept in: %s", store.description)
    return store
