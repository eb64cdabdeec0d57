"""``python -m marketplace serve --host 127.0.0.1 --port PORT --database URL --storage DIR``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketplace.config import Config
from marketplace.ratelimit import Limit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m marketplace",
                                     description="The Layerline marketplace service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--storage", type=Path, required=True,
                       help="directory for files and photos (and the default SQLite database)")
    serve.add_argument("--database", default=None,
                       help="SQLAlchemy URL (default: SQLite in the storage directory); "
                            "postgresql://... is supported")
    serve.add_argument("--no-auto-approve", action="store_true",
                       help="published models wait for a moderator")
    serve.add_argument("--fast-hashing", action="store_true",
                       help="cheap password hashing, for tests and benchmarks only")
    serve.add_argument("--escalation-interval", type=float, default=300.0,
                       help="seconds between runs of the 7-day jury escalation")
    serve.add_argument("--seed-demo", action="store_true",
                       help="create the demo account, models and profiles once started")
    serve.add_argument("--launch-date", default="2026-01-01",
                       help="the programme's launch date (UTC, YYYY-MM-DD): new-creator bonus")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (each with its own connection pool)")
    serve.add_argument("--photo-workers", type=int, default=0,
                       help="photo processing processes per server worker (0: one per core, "
                            "at most 2)")
    serve.add_argument("--photo-queue", type=int, default=64,
                       help="photos that may wait for processing before uploads get 503")
    serve.add_argument("--rate-limit-account", type=_limit, default="10:120",
                       metavar="RATE:BURST", help="write requests per second and burst per "
                       "account (0:0 turns it off)")
    serve.add_argument("--rate-limit-ip", type=_limit, default="100:600", metavar="RATE:BURST",
                       help="write requests per second and burst per client address "
                       "(0:0 turns it off)")
    serve.add_argument("--log-level", default="INFO")
    grant = sub.add_parser("grant-role", help="give an account a role (bootstraps the admin)")
    grant.add_argument("--storage", type=Path, required=True)
    grant.add_argument("--database", default=None)
    grant.add_argument("username")
    grant.add_argument("role", choices=["user", "moderator", "editor", "admin"])
    return parser


def _limit(text: str) -> tuple[float, int]:
    rate, sep, burst = text.partition(":")
    try:
        if not sep:
            raise ValueError(text)
        return float(rate), int(burst)
    except ValueError:
        raise argparse.ArgumentTypeError("RATE:BURST, e.g. 10:120") from None


def database_url(storage: Path, database: str | None) -> str:
    return database or f"sqlite:///{(storage / 'marketplace.db').resolve()}"


def grant_role(args: argparse.Namespace) -> int:

    from marketplace import tables as t
    from marketplace.db import make_engine, migrate

    engine = make_engine(database_url(args.storage, args.database))
    migrate(engine)
    with engine.begin() as conn:
        n = conn.execute(t.accounts.update().where(t.accounts.c.username == args.username)
                         .values(role=args.role)).rowcount
    engine.dispose()
    if not n:
        print(f"no account named {args.username!r}", file=sys.stderr)
        return 1
    print(f"{args.username} is now {args.role}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "grant-role":
        return grant_role(args)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import uvicorn

    from marketplace.db import make_engine, migrate

    storage: Path = args.storage
    storage.mkdir(parents=True, exist_ok=True)
    url = database_url(storage, args.database)
    engine = make_engine(url)
    migrate(engine)  # once, before any worker starts
    engine.dispose()
    os.environ[CONFIG_ENV] = json.dumps({
        "database_url": url, "storage": str(storage), "auto_approve": not args.no_auto_approve,
        "fast_hashing": args.fast_hashing, "escalation_interval": args.escalation_interval,
        "launch_date": args.launch_date, "photo_workers": args.photo_workers,
        "photo_queue": args.photo_queue, "rate_limit_account": list(args.rate_limit_account),
        "rate_limit_ip": list(args.rate_limit_ip)})
    if args.seed_demo:
        threading.Thread(target=_seed_when_up, args=(args.host, args.port), name="demo-seed",
                         daemon=True).start()
    uvicorn.run("marketplace.__main__:app_from_environment", factory=True, host=args.host,
                port=args.port, workers=args.workers if args.workers > 1 else None,
                log_level=args.log_level.lower(), access_log=False)
    return 0


CONFIG_ENV = "LAYERLINE_MARKETPLACE_SERVE"


def app_from_environment() -> Any:
    """The app of one worker, configured by ``serve`` through the environment."""
    from marketplace.web import create_app

    raw = json.loads(os.environ[CONFIG_ENV])
    return create_app(Config(
        database_url=raw["database_url"], storage=Path(raw["storage"]),
        auto_approve=raw["auto_approve"], fast_hashing=raw["fast_hashing"],
        escalation_interval=raw["escalation_interval"],
        launch_date=datetime.fromisoformat(raw["launch_date"]).replace(tzinfo=UTC),
        photo_workers=raw["photo_workers"], photo_queue=raw["photo_queue"],
        write_limit_account=Limit(*raw["rate_limit_account"]),
        write_limit_ip=Limit(*raw["rate_limit_ip"])))


def _seed_when_up(host: str, port: int, timeout: float = 60.0) -> None:
    import time

    import httpx

    from marketplace.demo import seed_demo

    base = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                info = seed_demo(base)
                logging.getLogger("marketplace.demo").info("demo ready: %s", info)
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    logging.getLogger("marketplace.demo").error("the service did not come up: no demo")


if __name__ == "__main__":
    sys.exit(main())
