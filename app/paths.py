"""Where Layerline keeps its files, resolved once at start-up.

Every path the app uses comes from one :class:`Paths` object built here and
passed to the services; nothing else looks up a directory on its own.  Tests
and the demo pass ``--basedir DIR`` or ``--temp-basedir`` so that they never
touch the user's real data.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

APP_NAME = "layerline"
APP_ID = "io.github.layerline.Layerline"


@dataclass(frozen=True, slots=True)
class Paths:
    """The directories of one Layerline installation (or one base directory)."""

    config: Path
    data: Path
    cache: Path
    logs: Path
    runtime: Path
    temporary: bool = False
    demo: bool = False

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def database_file(self) -> Path:
        return self.data / "layerline.db"

    @property
    def store_dir(self) -> Path:
        """The content-addressed file store of the library."""
        return self.data / "store"

    @property
    def crash_dir(self) -> Path:
        return self.logs / "crashes"

    @property
    def secrets_dir(self) -> Path:
        """Where the non-prompting fallback secret store keeps its files."""
        return self.data / "secrets"

    @property
    def key(self) -> str:
        """A short stable identifier of this base directory (for sockets)."""
        import hashlib

        return hashlib.sha256(str(self.data.resolve()).encode()).hexdigest()[:12]

    def create(self) -> None:
        for d in (self.config, self.data, self.cache, self.logs, self.runtime):
            d.mkdir(parents=True, exist_ok=True)

    def cleanup(self) -> None:
        """Remove a temporary base directory (no-op otherwise)."""
        if self.temporary:
            root = self.config.parent
            log.debug("removing temporary base directory %s", root)
            shutil.rmtree(root, ignore_errors=True)


def from_basedir(basedir: Path, *, temporary: bool = False, demo: bool = False) -> Paths:
    basedir = basedir.expanduser().resolve()
    return Paths(
        config=basedir / "config",
        data=basedir / "data",
        cache=basedir / "cache",
        logs=basedir / "logs",
        runtime=basedir / "runtime",
        temporary=temporary,
        demo=demo,
    )


def default_demo_basedir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "demo"


def resolve(
    basedir: Path | None = None, *, temp_basedir: bool = False, demo: bool = False
) -> Paths:
    """Build the :class:`Paths` of this run from the command-line choices."""
    if temp_basedir:
        root = Path(tempfile.mkdtemp(prefix="layerline-"))
        paths = from_basedir(root, temporary=True, demo=demo)
    elif basedir is not None:
        paths = from_basedir(basedir, demo=demo)
    elif demo:
        paths = from_basedir(default_demo_basedir(), demo=True)
    else:
        runtime = platformdirs.user_runtime_dir(APP_NAME)
        paths = Paths(
            config=Path(platformdirs.user_config_dir(APP_NAME)),
            data=Path(platformdirs.user_data_dir(APP_NAME)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME)),
            logs=Path(platformdirs.user_log_dir(APP_NAME)),
            runtime=Path(runtime),
        )
    paths.create()
    return paths
