"""The FastAPI application: routers, problem-details errors, the escalation schedule."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from marketplace import rules
from marketplace import tables as t
from marketplace.api import (
    accounts,
    blobs,
    community,
    models,
    moderation,
    photos,
    profiles,
    rewards,
)
from marketplace.api.deps import WRITE_METHODS, MaybeUser, Services, Svc, page_args
from marketplace.cases import escalate_stale
from marketplace.catalog import SORTS, list_models
from marketplace.config import Config
from marketplace.db import Store, lock_name, make_engine, migrate
from marketplace.errors import ApiError, too_large
from marketplace.media import BlobStore
from marketplace.photo_jobs import PhotoJobs, default_workers
from marketplace.ratelimit import Buckets, RateLimitedError
from marketplace.security import make_hasher

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"

general = APIRouter(tags=["general"])


@general.get("/health")
def health() -> dict[str, str]:
    """A trivial endpoint (the benchmark's floor)."""
    return {"status": "ok"}


@general.get("/rules")
def published_rules() -> dict[str, Any]:
    """The published numbers of REWARDS.md, for clients that preview rewards."""
    return {
        "beginner_tasks": rules.BEGINNER_TASKS,
        "caps": {"model_upload": rules.MODEL_UPLOAD_MONTHLY_CAP,
                 "first_profile": rules.FIRST_PROFILE_MONTHLY_CAP,
                 "review": rules.REVIEW_MONTHLY_CAP},
        "model_milestone_cap": rules.MODEL_MILESTONE_CAP,
        "profile_milestone_cap": rules.PROFILE_MILESTONE_CAP,
        "promotion": {"placements_per_token": rules.PLACEMENTS_PER_TOKEN,
                      "per_model_per_day": rules.PROMOTION_TOKENS_PER_MODEL_PER_DAY,
                      "per_creator_per_day": rules.PROMOTION_TOKENS_PER_CREATOR_PER_DAY},
    }


@general.get("/models")
def search_models(
    *,
    svc: Svc, who: MaybeUser,
    q: Annotated[str, Query(max_length=200)] = "",
    tag: Annotated[str, Query(max_length=40)] = "",
    category: Annotated[str, Query(max_length=60)] = "",
    creator_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    sort: Annotated[str, Query(pattern="^(recent|downloads|rating|reputation)$")] = "recent",
    limit: int = 20, offset: int = 0,
) -> dict[str, Any]:
    """Published models, sorted; promoted models take at most 1 in 5 slots, labelled."""
    assert sort in SORTS
    limit, offset = page_args(limit, offset)
    now = svc.now()
    with svc.store.read() as conn:
        items, total, shown = list_models(conn, q=q, tag=tag, category=category,
                                          creator_id=creator_id, sort=sort, limit=limit,
                                          offset=offset, now=now)
    if shown:  # each promoted slot shown uses up one placement
        with svc.store.write() as conn:
            conn.execute(t.promotions.update().where(
                t.promotions.c.id.in_(shown), t.promotions.c.placements_left > 0
            ).values(placements_left=t.promotions.c.placements_left - 1))
    return {"items": items, "total": total, "limit": limit, "offset": offset}


DEFAULT_STORE = (
    ("Filament voucher (1 kg PLA)", "A voucher for one spool of PLA.", 350),
    ("Promotion pack", "Ten cred tokens to promote your models.", 100),
    ("Sticker pack", "Layerline stickers for your printer.", 50),
)


def seed_store(store: Store) -> None:
    """The store's first catalogue (an admin edits it afterwards)."""
    with store.write() as conn:
        lock_name(conn, "seed-store")  # several workers may start at once
        if conn.execute(sa.select(t.store_items.c.id).limit(1)).first() is None:
            for title, description, price in DEFAULT_STORE:
                conn.execute(t.store_items.insert().values(
                    title=title, description=description, price=price, active=True))


def _problem(err: ApiError) -> JSONResponse:
    retry = err.extra.get("retry_after")
    headers = {"Retry-After": str(retry)} if isinstance(retry, int) else None
    return JSONResponse(err.problem(), err.status, media_type=PROBLEM, headers=headers)


def create_app(config: Config) -> FastAPI:
    engine = make_engine(config.database_url)
    migrate(engine)
    store, blob_store = Store(engine), BlobStore(config.storage / "blobs")
    jobs = PhotoJobs(store, blob_store, config.storage / "staging", limit=config.max_photo,
                     workers=config.photo_workers or default_workers(),
                     max_pending=config.photo_queue, clock=config.clock)
    svc = Services(config=config, store=store, blobs=blob_store,
                   hasher=make_hasher(config.fast_hashing), photos=jobs,
                   account_writes=Buckets(config.write_limit_account, "account"))
    ip_writes = Buckets(config.write_limit_ip, "address")
    svc.dummy_hash = svc.hasher.hash("not a real password")
    seed_store(svc.store)
    stop = threading.Event()

    def escalation_loop() -> None:
        while not stop.wait(config.escalation_interval):
            try:
                with svc.store.write() as conn:
                    escalate_stale(conn, config.clock())
            except sa.exc.SQLAlchemyError:
                log.exception("the jury escalation run failed; will retry")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = threading.Thread(target=escalation_loop, name="jury-escalation", daemon=True)
        worker.start()
        requeued = jobs.requeue()
        if requeued:
            log.info("queued again %d photos left pending by the last run", requeued)
        try:
            yield
        finally:
            stop.set()
            worker.join(timeout=10)
            jobs.close()
            engine.dispose()

    app = FastAPI(title="Layerline marketplace", version="1.0.0", lifespan=lifespan,
                  openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)
    app.state.services = svc
    app.state.engine = engine

    for module in (general, accounts.router, photos.router, blobs.router, models.router,
                   profiles.router, community.router, rewards.router, moderation.router):
        app.include_router(module, prefix="/api/v1")

    limit = max(config.max_model_file, config.max_photo) * 2 + 1024 * 1024

    @app.middleware("http")
    async def body_limit(request: Request,
                         call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.method in WRITE_METHODS and request.client is not None:
            try:  # per client address, before the body is read
                ip_writes.take(request.client.host)
            except RateLimitedError as exc:
                return _problem(exc)
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return _problem(ApiError(400, "Bad request", "bad Content-Length",
                                         "bad_request"))
            if int(length) > limit:
                return _problem(too_large(f"requests may be at most {limit} bytes"))
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def on_api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _problem(exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
                  for e in exc.errors()[:20]]
        return _problem(ApiError(422, "Unprocessable content", "the request is not valid",
                                 "validation_failed", errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(ApiError(exc.status_code, str(exc.detail), "", f"http_{exc.status_code}"))

    @app.exception_handler(sa.exc.DataError)
    @app.exception_handler(OverflowError)
    async def on_bad_value(_request: Request, exc: Exception) -> JSONResponse:
        # a value the database cannot hold (a NUL in text, an integer out of range)
        log.info("refused a value the database cannot store: %s", type(exc).__name__)
        return _problem(ApiError(422, "Unprocessable content", "a value is out of range",
                                 "value_out_of_range"))

    @app.exception_handler(Exception)
    async def on_bug(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return _problem(ApiError(500, "Internal error", "", "internal"))

    return app
