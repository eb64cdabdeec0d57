"""The reviews service's bridge: outbox changes re-emitted on the GUI thread,
and a worker thread for everything that blocks (the database, photos, the
marketplace over HTTP), with results delivered on the GUI thread.

Widgets never call the reviews service or the marketplace directly: they call
:meth:`ReviewsBridge.run` with a function and get its result (or its error,
as a message) back on the GUI thread.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from ui.reviews.market import MarketApi

log = logging.getLogger(__name__)


class ReviewsBridge(QObject):
    """``service`` is the app's ``reviews.service.ReviewsService``; ``market``
    (:class:`~ui.reviews.market.MarketApi` over it) is what the screens ask."""

    outbox_changed = Signal(object)   # reviews.outbox.OutboxItem (None: anything)
    account_changed = Signal(object)  # the /me answer, or None when signed out
    failed = Signal(str)              # a background call failed (message)
    _posted = Signal(object)

    def __init__(self, service: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.market: MarketApi | None = MarketApi(service)
        self.account: dict[str, Any] | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reviews-ui")
        self._closed = False
        self._posted.connect(self._deliver)
        self._remove_listener = service.outbox.add_listener(self._posted.emit)

    # ------------------------------------------------------------ events
    @Slot(object)
    def _deliver(self, event: object) -> None:
        try:
            if isinstance(event, _Done):
                event.callback(event.result)
            elif isinstance(event, _Failure):
                if event.callback is not None:
                    event.callback(event.exc)
                else:
                    self.failed.emit(str(event.exc))
            else:
                self.outbox_changed.emit(event)
        except RuntimeError as exc:
            # The widget that asked was closed and deleted while the worker
            # ran: its answer has nobody to go to.
            if "already deleted" not in str(exc):
                raise
            log.debug("a result for a closed widget was dropped: %s", exc)

    def run(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None,
            error: Callable[[BaseException], None] | None = None) -> Future[Any]:
        """Run ``fn`` on the worker thread; ``done(result)`` on the GUI thread.
        A failure goes to ``error(exc)`` on the GUI thread, or to
        :attr:`failed` as a message when there is no ``error``."""

        def call() -> Any:
            try:
                result = fn()
            except Exception as exc:
                log.info("reviews: %s: %s", type(exc).__name__, exc)
                with contextlib.suppress(RuntimeError):  # the bridge is gone
                    self._posted.emit(_Failure(exc, error))
                raise
            if done is not None:
                with contextlib.suppress(RuntimeError):
                    self._posted.emit(_Done(done, result))
            return result

        if self._closed:  # shutting down: late requests are dropped
            dropped: Future[Any] = Future()
            dropped.cancel()
            return dropped
        return self._pool.submit(call)

    # ------------------------------------------------------------ account
    def refresh_account(self, done: Callable[[Any], None] | None = None) -> None:
        """Ask who is signed in; emits :attr:`account_changed`."""
        market = self.market
        if market is None:
            self._set_account(None)
            return

        def ask() -> dict[str, Any] | None:
            if not market.signed_in:
                return None
            from reviews.client import NotSignedInError

            try:
                return market.me()
            except NotSignedInError:  # the token expired: sign in again
                return None

        def answered(me: Any) -> None:
            self._set_account(me)
            if done is not None:
                done(me)

        def failed(exc: BaseException) -> None:  # e.g. the marketplace is down
            self.failed.emit(f"The marketplace account cannot be checked: {exc}")
            answered(None)

        self.run(ask, answered, failed)

    def _set_account(self, me: dict[str, Any] | None) -> None:
        self.account = me
        self.account_changed.emit(me)

    def signed_in_as(self, me: dict[str, Any] | None) -> None:
        """Record the answer of a sign-up, sign-in or profile edit (GUI thread)."""
        self._set_account(me)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._remove_listener()
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Done:
    def __init__(self, callback: Callable[[Any], None], result: Any) -> None:
        self.callback = callback
        self.result = result


class _Failure:
    def __init__(self, exc: BaseException,
                 callback: Callable[[BaseException], None] | None) -> None:
        self.exc = exc
        self.callback = callback
