"""The reviews half of the window (the UI side of the composition root).

- The Marketplace area is installed once the database is open: the reviews
  service is built on the database thread (it imports SQLAlchemy and httpx,
  which the first paint does not need), the page on the GUI thread.
- When a job ends (the printers bridge's ``job_ended``) the end-of-print
  dialog asks for the verdict; it is stored with the job and added to the
  job's signed receipt (``services.reviews.confirm_job``).  "Save and
  review\u2026" opens the review composer with the photos and the receipt.
- Help \u25b8 Send a suggestion\u2026 opens the feedback dialog.
- The demo signs in as its demo account once its marketplace is up.
- ``--screenshot-view`` opens one area tab or dialog for a screenshot.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import notify

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)

ENDED = ("completed", "failed", "cancelled", "interrupted")
PRINTER_KINDS = {"serial": "marlin-serial", "octoprint": "octoprint"}
SCREENSHOT_VIEWS = ("marketplace", "rewards", "store", "outbox", "profiles", "community",
                    "composer", "end-of-print", "wizard", "feedback")


class ReviewsGui:
    """Owns the reviews bridge and opens the review screens."""

    def __init__(self, window: Any, services: Services, printers_bridge: Any,
                 call_on_gui: Callable[[Callable[[], object]], None]) -> None:
        self.window = window
        self.services = services
        self.bridge: Any = None
        self.area: Any = None
        self._call = call_on_gui
        self._ready: list[Callable[[], None]] = []
        self.is_ready = False
        self._service: Any = None
        self._dialogs: list[Any] = []  # open dialogs, kept alive until closed
        printers_bridge.job_ended.connect(self.job_ended)
        self._add_help_action()

    # ------------------------------------------------------------ start-up
    def database_ready(self) -> None:
        """On the database thread: build the service on a thread of its own
        (never on the database thread: ``services.reviews`` may wait for a
        lock held by a thread that waits for the database), then the page on
        the GUI thread."""
        import threading

        from app.services import ServicesClosedError

        def build() -> None:
            try:
                self._service = self.services.reviews
            except ServicesClosedError:
                return
            self._call(self._install)

        threading.Thread(target=build, name="reviews-build", daemon=True).start()

    def _install(self) -> None:
        if self.services.is_closed:
            return
        from ui.reviews.area import MarketplaceArea
        from ui.reviews.bridge import ReviewsBridge

        self.bridge = ReviewsBridge(self._service, self.window)
        self.services.register_cleanup("reviews bridge", self.bridge.close)
        self.bridge.failed.connect(
            lambda text: self.services.notifier.post(text, notify.Level.ERROR))
        self.area = MarketplaceArea(
            self.bridge, printers=self._printers, open_composer=self.open_composer,
            open_wizard=self.open_wizard,
            profile_download_dir=self.services.paths.data / "downloaded-profiles",
            save_profile=self._import_profile)
        self.window.set_area_page("marketplace", self.area)
        self.bridge.refresh_account(lambda _me: self._set_ready())

    def _set_ready(self) -> None:
        self.is_ready = True
        callbacks, self._ready = self._ready, []
        for fn in callbacks:
            fn()

    def when_ready(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the GUI thread once the area is in place and the
        account is known (at once if it is)."""
        if self.is_ready:
            fn()
        else:
            self._ready.append(fn)

    def demo_sign_in(self) -> None:
        """The demo's account, once the demo marketplace answers (worker thread)."""
        from marketplace.demo import DEMO_PASSWORD, DEMO_USER

        def sign_in() -> None:
            import time

            from reviews.client import ProblemError

            reviews = self.services.reviews
            # The service answers before it has seeded the demo account: a
            # refused sign-in is tried again for a while.
            deadline = time.monotonic() + 60
            while reviews.account.session() is None and not self.services.is_closed:
                try:
                    reviews.login(DEMO_USER, DEMO_PASSWORD)
                except ProblemError as exc:
                    if exc.status != 401 or time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)

        def install() -> None:
            self.when_ready(lambda: self.bridge.refresh_account())  # noqa: PLW0108 (built later)

        try:
            sign_in()
        except Exception as exc:
            log.warning("the demo account could not sign in: %s", exc)
            return
        self._call(install)

    def _printers(self) -> list[tuple[str, str, str | None]]:
        """The printers this installation drives (worker thread)."""
        out = []
        for rec in self.services.printers.store.printers():
            firmware = None
            try:
                firmware = self.services.printers.connection(rec.name).status.firmware or None
            except Exception:
                firmware = None
            out.append((PRINTER_KINDS.get(rec.kind, rec.kind), rec.name, firmware))
        return out

    def _import_profile(self, path: Path) -> None:
        """A downloaded profile joins the library (worker thread)."""
        self.services.library.import_paths([path])

    def _add_help_action(self) -> None:
        from PySide6.QtGui import QAction

        for action in self.window.menuBar().actions():
            menu = action.menu()
            if menu is not None and action.text().replace("&", "") == "Help":
                feedback = QAction("Send a &suggestion\u2026", self.window)
                feedback.setObjectName("action-feedback")
                feedback.setStatusTip("Suggest an improvement to Layerline or the marketplace")
                feedback.triggered.connect(self.open_feedback)
                first = menu.actions()[0] if menu.actions() else None
                menu.insertAction(first, feedback)
                if first is not None:
                    menu.insertSeparator(first)
                self.action_feedback = feedback
                return

    # ------------------------------------------------------------ dialogs
    def _keep(self, dlg: Any) -> Any:
        self._dialogs.append(dlg)
        dlg.finished.connect(lambda _r: self._dialogs.remove(dlg) if dlg in self._dialogs
                             else None)
        return dlg

    def job_ended(self, snapshot: Any) -> None:
        """A job ended: ask how the part came out (GUI thread)."""
        from ui.reviews.end_of_print import EndedJob, EndOfPrintDialog

        state = getattr(snapshot.state, "value", snapshot.state)
        if self.bridge is None or state not in ENDED:
            return
        dlg = self._keep(EndOfPrintDialog(EndedJob.of(snapshot), self.bridge,
                                          confirm=self._confirm, parent=self.window))
        dlg.confirmed.connect(self._confirmed)
        dlg.open()
        return

    def _confirm(self, job_id: int, good: bool, reason: str | None,
                 release: bool = True) -> object:
        """The verdict, with the job and in its receipt (worker thread); the
        receipt waits (``release=False``) while the user writes the review."""
        from reviews.errors import OutboxError

        self.services.printers.store.set_verdict(job_id, good, reason)
        reviews = self._service
        try:
            item = reviews.confirm_job(job_id, "good" if good else "bad", reason,
                                       release=release)
        except OutboxError as exc:  # already sent: the service holds it as it was
            log.info("job %d: the verdict is kept with the job, not its receipt (%s)",
                     job_id, exc)
            return None
        if item is None and reviews.account.session() is not None:
            from app import reviews_glue  # not recorded yet: record it, with the verdict

            item = reviews_glue.record_job(self.services, job_id)
        return item

    def _confirmed(self, answer: Any) -> None:
        reviews = self._service

        def find() -> Any:
            return reviews.receipt_for_job(answer.job.id)

        def found(item: Any) -> None:
            model_id = None
            if item is not None:
                model_id = item.payload.get("receipt", {}).get("model_id")
            if not answer.review:
                if answer.share_profile:
                    self.share_profile(answer.job.file, model_id)
                return
            composer = self.open_composer(
                model_id=model_id, receipt_item_id=getattr(item, "id", None),
                photos=answer.photos, title=Path(answer.job.file).name)
            if item is not None and composer is not None:
                # Abandoned: the receipt goes as it is (every print counts).
                composer.rejected.connect(lambda: self.bridge.run(
                    lambda: reviews.release_receipt(item.id)))
            if answer.share_profile and composer is not None:
                # The model the review is for is the profile's model too.
                composer.submitted.connect(lambda review: self.share_profile(
                    answer.job.file, review.payload.get("model_id")))

        self.bridge.run(find, found)

    def share_profile(self, gcode: str, model_id: int | None) -> None:
        """Queue the settings of the G-code that ran as a print profile of
        ``model_id`` (the library's settings extraction)."""
        if model_id is None:
            self.services.notifier.post(
                "The print profile was not shared: this print is not linked to a "
                "marketplace model (write a review to choose the model).",
                notify.Level.WARNING)
            return
        reviews = self._service

        def publish() -> Any:
            from app import reviews_glue

            settings = reviews_glue.profile_settings_from_gcode(Path(gcode))
            return reviews.publish_profile(int(model_id), settings)

        self.bridge.run(publish, lambda item: self.services.notifier.post(
            f"Print profile \u201c{item.title}\u201d queued for the marketplace.",
            notify.Level.SUCCESS), lambda exc: self.services.notifier.post(
            f"The print profile was not shared: {exc}", notify.Level.WARNING))

    def open_composer(self, *, model_id: int | None = None, receipt_item_id: int | None = None,
                      photos: tuple[Path, ...] = (), title: str = "") -> Any:
        from ui.reviews.composer import ReviewComposer

        if self.bridge is None:
            return None
        dlg = self._keep(ReviewComposer(self.bridge, model_id=model_id,
                                        receipt_item_id=receipt_item_id, photos=photos,
                                        title=title, parent=self.window))
        dlg.submitted.connect(lambda _item: self.services.notifier.post(
            "Review queued: it goes to the marketplace in the background.",
            notify.Level.SUCCESS))
        dlg.open()
        return dlg

    def open_wizard(self, *, draft: Any = None, draft_id: int | None = None) -> Any:
        """The publish wizard; without a draft, the latest one is resumed."""
        from ui.reviews.wizard import PublishWizard

        if self.bridge is None:
            return None
        drafts = self._service.drafts
        if draft is None and draft_id is None:
            def latest() -> tuple[Any, int | None]:
                found = drafts.drafts()
                return (drafts.load(found[0][0]), found[0][0]) if found else (None, None)

            self.bridge.run(latest, lambda d: self._show_wizard(PublishWizard, drafts, *d)
                            if d[0] is not None else self._show_wizard(
                                PublishWizard, drafts, None, None))
            return None
        return self._show_wizard(PublishWizard, drafts, draft, draft_id)

    def _show_wizard(self, cls: Any, drafts: Any, draft: Any, draft_id: int | None) -> Any:
        dlg = self._keep(cls(self.bridge, drafts, draft=draft, draft_id=draft_id,
                             parent=self.window))
        dlg.published.connect(lambda _item: self.services.notifier.post(
            "Model queued for publication.", notify.Level.SUCCESS))
        dlg.open()
        self.wizard = dlg
        return dlg

    def open_feedback(self) -> Any:
        from ui.reviews.community import FeedbackDialog

        if self.bridge is None:
            self.services.notifier.post("The marketplace is not ready yet.",
                                        notify.Level.WARNING)
            return None
        dlg = self._keep(FeedbackDialog(self.bridge, self.window))
        dlg.open()
        return dlg

    # ------------------------------------------------------------ screenshots
    def screenshot(self, view: str, grab: Callable[[Any], None]) -> None:
        """Open ``view`` and call ``grab(widget)`` once its data has loaded
        (in the demo, once the demo account is signed in)."""
        from PySide6.QtCore import QTimer

        def wait(cond: Callable[[], bool], then: Callable[[], None], tries: int = 240) -> None:
            if cond() or tries <= 0:
                then()
            else:
                QTimer.singleShot(250, lambda: wait(cond, then, tries - 1))

        self.window.resize(1400, 1040)  # room for the tables and plots
        signed_in = (lambda: self.bridge.account is not None) if self.services.paths.demo \
            else (lambda: True)
        wait(signed_in, lambda: self._open_for_screenshot(view, grab, wait))

    def _open_for_screenshot(self, view: str, grab: Callable[[Any], None],
                             wait: Callable[..., None]) -> None:
        from PySide6.QtCore import QTimer

        from ui.reviews.area import TABS

        area = self.area
        target: Any = self.window
        ready: Callable[[], bool] = lambda: True  # noqa: E731
        self.window.show_area("marketplace")
        if view in TABS or view == "marketplace":
            tab = "account" if view == "marketplace" else view
            area.show_tab(tab)
            if tab == "outbox":  # something delivered and something the service refuses
                reviews = self._service
                self.bridge.run(lambda: (
                    reviews.feedback("Show the filament left on each spool."),
                    reviews.report("model", 1, "spam", "my own model")))  # refused: one's own
            ready = {
                "outbox": lambda: area.outbox.model.counts().get("rejected", 0) > 0
                and area.outbox.model.counts().get("delivered", 0) > 0,
                "rewards": lambda: area.rewards.summary is not None,
                "store": lambda: area.store.items.rowCount() > 0,
                "profiles": lambda: area.profiles.table_model.rowCount() > 0,
            }.get(tab, lambda: True)
        elif view == "composer":
            target = self.open_composer(photos=(_sample_photo(1),))  # the user picks the model
            target.stars.set_value(4)
            ready = lambda: target.current is not None  # noqa: E731
        elif view == "end-of-print":
            from ui.reviews.end_of_print import EndedJob, EndOfPrintDialog

            target = self._keep(EndOfPrintDialog(
                EndedJob(0, "Virtual MK3", "calibration-cube.gcode", "completed"), self.bridge,
                confirm=lambda *_a: None, parent=self.window))  # a look, not a verdict
            target.photos.add_paths([_sample_photo(2)])
            target.show()
            ready = lambda: not target.photos.item(0).icon().isNull()  # noqa: E731
        elif view == "wizard":
            from reviews.publication import PrintSettings
            from ui.reviews.wizard import draft_from_library

            draft = draft_from_library("Cable clip", [], license="CC-BY-4.0",
                                       settings=PrintSettings(material="PLA"))
            target = self.open_wizard(draft=draft)
            target.photos.add_paths([_sample_photo(3), _sample_photo(4), _sample_photo(5)])
            target.set_cover(_sample_photo(4))
            target.next()
            ready = lambda: all(not target.photos.item(i).icon().isNull()  # noqa: E731
                                for i in range(target.photos.count()))
        elif view == "feedback":
            target = self.open_feedback()
            target.text.setPlainText("Please add a dark theme for the night shift.")
        def settle() -> None:
            if view == "outbox":  # show why the refused item failed
                model = area.outbox.model
                rows = [r for r in range(model.rowCount())
                        if str(model.item(r).state) == "rejected"]
                if rows:
                    area.outbox.select(model.item(rows[0]).id)
            QTimer.singleShot(600, lambda: grab(target))

        wait(ready, settle, 120)


def _sample_photo(seed: int) -> Path:
    from marketplace.demo import demo_photo

    path = Path(tempfile.gettempdir()) / f"layerline-sample-photo-{seed}.jpg"
    if not path.exists():
        path.write_bytes(demo_photo(seed))
    return path
