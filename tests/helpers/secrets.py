"""A small honest in-memory secret store (the app's store has the same
get/set/delete interface; tests that need persistence across "restarts" use
the app's real ``FileSecretStore`` on a temporary directory)."""

from __future__ import annotations


class MemorySecretStore:
    description = "memory (tests)"

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)
