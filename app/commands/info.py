"""``layerline info``: where this installation keeps its data, and versions."""

from __future__ import annotations

import argparse
import json
import platform
import sys

from app import db
from app.services import Services

NAME = "info"
HELP = "show the base directory, the database revision and versions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, services: Services) -> int:
    from importlib.metadata import version

    paths = services.paths
    info = {
        "version": version("layerline"),
        "python": platform.python_version(),
        "config": str(paths.config),
        "data": str(paths.data),
        "database": str(paths.database_file),
        "database_revision": db.current_revision(services.engine),
        "settings_schema": services.settings.settings.schema_version,
        "demo": paths.demo,
    }
    if args.json:
        json.dump(info, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        width = max(map(len, info))
        for k, v in info.items():
            print(f"{k:<{width}}  {v}")
    return 0
