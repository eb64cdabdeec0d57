"""From a finished print to an honest review, with no fake in the path: the
marketplace service (``python -m marketplace serve``) on loopback, the virtual
printer on a pty, and the app's own services.  Import a model, print its
G-code, confirm the print with a photo carrying GPS tags, submit the review;
the service then holds the review with a valid receipt, a photo with no
metadata, and exactly the points REWARDS.md gives.  Then the same through the
headless CLI (``account``, ``print``, ``confirm``, ``review``, ``outbox``,
``sync``)."""

from __future__ import annotations

import io
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image

from app import logs, paths, reviews_glue, services
from printers.firmware import FirmwareConfig
from printers.virtual import VirtualPrinter
from reviews.outbox import OutboxItem, State
from reviews.receipts import b64url_decode
from tests.helpers.marketplace_server import PASSWORD, ROOT, MarketplaceProcess
from tests.helpers.proc import layerline

SAMPLES = ROOT / "resources" / "samples"
GCODE = SAMPLES / "Calibration Cube_0.3mm_PLA.gcode"
FAST = FirmwareConfig(latency=0.0005, command_time=0.0001, heat_rate_hotend=5000.0,
                      heat_rate_bed=5000.0, home_time=0.001)


@pytest.fixture(scope="module")
def marketplace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarketplaceProcess]:
    with MarketplaceProcess(tmp_path_factory.mktemp("marketplace")) as market:
        yield market


@pytest.fixture
def vp() -> Iterator[VirtualPrinter]:
    printer = VirtualPrinter(FAST).start()
    yield printer
    printer.stop()


def gps_photo(path: Path) -> Path:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6  # rotated: the orientation is applied, then dropped
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 36.0)}
    img = Image.new("RGB", (400, 300), (180, 120, 60))
    img.paste((20, 60, 200), (50, 50, 200, 120))
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def assert_clean_jpeg(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        assert not img.getexif(), "EXIF left in the photo"
        assert "exif" not in img.info and "xmp" not in img.info and "icc_profile" not in img.info
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"GPS" not in data


def ledger(market: MarketplaceProcess, account: int) -> dict[str, float]:
    rows = market.query("SELECT reason, currency, sum(amount) FROM ledger "
                        "WHERE account_id = ? GROUP BY reason, currency", account)
    return {f"{reason}/{currency}": amount / 10 for reason, currency, amount in rows}


def test_import_print_confirm_with_a_gps_photo_and_review_end_to_end(
        tmp_path: Path, marketplace: MarketplaceProcess, vp: VirtualPrinter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYERLINE_NO_KEYRING", "1")
    creator_name, creator_id, creator_token = marketplace.user("maker")
    model_id = marketplace.published_model(creator_token, "Calibration Cube")
    reviewer, reviewer_id, _token = marketplace.user("printer")

    base = tmp_path / "station"
    svc = services.build(paths.from_basedir(base), logs.RingBuffer())
    try:
        settings = svc.settings.settings.copy()
        settings.marketplace.url = marketplace.url
        svc.settings.update(settings)
        session = svc.reviews.login(reviewer, PASSWORD)
        svc.start_outbox_sender()
        changed = threading.Condition()

        def on_change(_item: OutboxItem) -> None:
            with changed:
                changed.notify_all()

        svc.reviews.outbox.add_listener(on_change)

        def wait(check: object, timeout: float = 120) -> None:
            with changed:
                assert changed.wait_for(check, timeout), "timed out"  # type: ignore[arg-type]

        # Import the model and its G-code into the library.
        model_dir = tmp_path / "models"
        model_dir.mkdir()
        stl = shutil.copy(SAMPLES / "Calibration Cube.stl", model_dir)
        gcode = Path(shutil.copy(GCODE, model_dir))
        report = svc.library.import_paths([Path(stl), gcode]).result(timeout=180)
        assert report.state == "done", report.as_dict()
        lines = [(ln.state, ln.model_id) for ln in report.lines]
        assert len(lines) == 2 and lines[0] == lines[1] == ("done", lines[0][1]), lines
        assert lines[0][1] is not None  # the G-code joined its model

        # Print the G-code on the virtual printer (a real pty, the real protocol).
        svc.printers.add_printer("bench", vp.path)
        conn = svc.printers.connection("bench")
        conn.connect()
        assert conn.wait_for(lambda s: s.link.value == "operational", 60)
        job_id = conn.start_print(gcode)
        while (snap := conn.wait_job(5)) is None or not snap.state.ended:
            pass
        assert snap.state.value == "completed", snap.reason
        conn.disconnect()
        # The job's end was seen: its receipt waits in the outbox for the verdict.
        wait(lambda: svc.reviews.receipt_for_job(job_id) is not None)
        receipt = svc.reviews.receipt_for_job(job_id)
        assert receipt is not None and receipt.state is State.QUEUED
        assert receipt.payload["receipt"]["verdict"] is None
        assert receipt.payload["receipt"]["file_sha256"] == reviews_glue._sha256(gcode)

        # Confirm success (the end-of-print dialog: the user goes on to review,
        # so the receipt waits for the review, which names the model) ...
        svc.printers.store.set_verdict(job_id, True, None)
        confirmed = svc.reviews.confirm_job(job_id, "good", release=False)
        assert confirmed is not None and confirmed.id == receipt.id
        assert confirmed.payload["receipt"]["verdict"] == "good"
        assert svc.reviews.outbox.get(receipt.id).attempts == 0
        # ... with a photo carrying GPS tags, and review it.
        photos = svc.reviews.prepare_photos([gps_photo(tmp_path / "IMG_0001.jpg")])
        assert_clean_jpeg(photos[0].path.read_bytes())  # already clean before it leaves
        preview = svc.reviews.review_preview(model_id, rating=True, photo=True,
                                             description="Crisp corners, no elephant foot.")
        assert (preview.points, preview.maximum, preview.cap_left) == (10, 10, 70)
        review = svc.reviews.submit_review(
            model_id=model_id, profile_id=None, rating=5,
            description="Crisp corners, no elephant foot.", photos=photos,
            receipt_item_id=receipt.id, title="Calibration Cube")
        wait(lambda: all(svc.reviews.outbox.get(i).state is State.DELIVERED
                         for i in (receipt.id, review.id)))
        answer = svc.reviews.outbox.get(review.id).answer

        # The settings of the print that succeeded, from the G-code that ran,
        # go on the model as a print profile; downloaded back into the library.
        shared = reviews_glue.publish_job_profile(svc, job_id, model_id, title="Cube 0.3")
        wait(lambda: svc.reviews.outbox.get(shared.id).state is State.DELIVERED)
        profile = svc.reviews.browse_profiles(model_id)
        assert [(p["title"], p["material"], p["nozzle_diameter"], p["layer_height"],
                 p["infill_density"]) for p in profile] == [("Cube 0.3", "PLA", 0.4, 0.3, 10.0)]
        imported = reviews_glue.download_profile_into_library(svc, profile[0]["id"])
        lines = imported.result(timeout=120).lines
        assert [ln.state for ln in lines] == ["done"], lines
    finally:
        svc.shutdown()

    # What the service holds: the review, backed by a valid receipt ...
    rows = marketplace.query(
        "SELECT r.id, r.stars, r.confirmed, c.body, c.signature, c.confirmed, k.public_key "
        "FROM reviews r JOIN receipts c ON c.receipt_id = r.receipt_id "
        "JOIN device_keys k ON k.id = c.device_key_id WHERE r.author_id = ?", reviewer_id)
    assert len(rows) == 1
    review_id, stars, backed, body, signature, success, public_key = rows[0]
    assert (stars, backed, success) == (5, 1, 1) and review_id == answer["id"]
    Ed25519PublicKey.from_public_bytes(b64url_decode(public_key)).verify(
        b64url_decode(signature), body.encode())  # raises if it does not verify
    held = json.loads(body)
    assert held["account"] == reviewer_id and held["device_key_id"] == session.device_key_id
    assert (held["job_state"], held["verdict"], held["model_id"]) == ("completed", "good",
                                                                      model_id)
    assert held["file_sha256"] == reviews_glue._sha256(GCODE)
    assert held["printer"]["kind"] == "marlin-serial" and held["lines_confirmed"] > 2000
    assert marketplace.query("SELECT count(*) FROM receipts WHERE account_id = ?",
                             reviewer_id) == [(1,)]
    # ... a photo with no metadata ...
    photo = marketplace.query("SELECT sha256 FROM photos WHERE review_id = ?", review_id)
    assert len(photo) == 1
    with httpx.Client(base_url=marketplace.url, trust_env=False) as http:
        assert_clean_jpeg(http.get(f"/api/v1/blobs/{photo[0][0]}").content)
    # ... and exactly the points of REWARDS.md: a first review with a rating,
    # a photo and a description is 2 + 4 + 4 = 10 (§3); backed by a confirmed
    # print it earns a cred token of 3 (§6), plus the day's activity token;
    # the creator gets +2 karma for a 4-5 star rating (§6).  The profile pays
    # the beginner task first_profile_upload (20, §1) and the first profile
    # for a model (5, §2).
    assert answer["points"] == {"offered": 10, "paid": 10.0, "capped": False,
                                "parts": {"rating": 2, "photo": 4, "description": 4}}
    assert ledger(marketplace, reviewer_id) == {
        "review/standard": 10.0, "cred_confirmed_review/cred": 3.0,
        "cred_active_day/cred": 1.0, "task:first_profile_upload/standard": 20.0,
        "first_profile/standard": 5.0}
    assert ledger(marketplace, creator_id).get("karma_rating/karma") == 2.0
    assert creator_name


def test_the_headless_cli_registers_prints_confirms_reviews_and_syncs(
        tmp_path: Path, marketplace: MarketplaceProcess, vp: VirtualPrinter) -> None:
    _maker, _maker_id, maker_token = marketplace.user("maker")
    model_id = marketplace.published_model(maker_token, "CLI cube")
    with marketplace.api(maker_token) as http:
        code = http.get("/me/referral").json()["code"]
    base = tmp_path / "headless"
    name = f"headless{_maker_id}"
    r = layerline("account", "register", "--url", marketplace.url, "--username", name,
                  "--referral", code, basedir=base, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert "registered and signed in" in r.stdout
    # The token and key are not in the settings (nor anywhere in plain text there).
    settings_text = (base / "config" / "settings.json").read_text()
    assert marketplace.url in settings_text and "token" not in settings_text.lower()
    r = layerline("account", "login", "--username", name, basedir=base,
                  env={"LAYERLINE_PASSWORD": "wrong password"})
    assert r.returncode == 1 and "401" in r.stderr
    r = layerline("account", "login", "--username", name, basedir=base,
                  env={"LAYERLINE_PASSWORD": PASSWORD})
    assert r.returncode == 0, r.stderr

    assert layerline("printers", "add", "bench", "--serial", vp.path,
                     basedir=base).returncode == 0
    gcode = Path(shutil.copy(GCODE, tmp_path))
    r = layerline("print", str(gcode), "--printer", "bench", "--json", basedir=base,
                  timeout=300)
    assert r.returncode == 0, r.stderr
    job_id = json.loads(r.stdout)["id"]
    r = layerline("confirm", str(job_id), "--good", basedir=base)
    assert r.returncode == 0, r.stderr
    assert "receipt queued" in r.stdout and "verdict good" in r.stdout
    r = layerline("outbox", "--json", basedir=base)
    items = json.loads(r.stdout)["items"]
    assert [(i["kind"], i["state"]) for i in items] == [("receipt", "queued")]

    photo = gps_photo(tmp_path / "phone.jpg")
    r = layerline("review", str(job_id), "--rating", "4", "--photo", str(photo),
                  "--text", "Printed well from the headless station.", "--model",
                  str(model_id), basedir=base)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "points paid: 10" in r.stdout and "confirmed print" in r.stdout
    r = layerline("sync", basedir=base)
    assert r.returncode == 0 and "delivered 2, waiting 0, refused 0" in r.stdout, r.stdout
    r = layerline("outbox", basedir=base)
    assert r.returncode == 0 and r.stdout.count("delivered") == 2
    account = marketplace.query("SELECT id, invited_by FROM accounts WHERE username = ?", name)
    assert account[0][1] == _maker_id
    assert marketplace.query("SELECT confirmed FROM reviews WHERE author_id = ?",
                             account[0][0]) == [(1,)]
