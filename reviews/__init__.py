"""Reviews: what the desktop app says about a print, with evidence.

Qt-free.  Modules:

- :mod:`reviews.receipts` — print receipts (REWARDS.md §9): the receipt, its
  canonical bytes, Ed25519 signing and verification, the per-installation
  device key kept in the app's secret store.
- :mod:`reviews.photos` — photos made safe to leave the machine (orientation
  applied, every bit of metadata dropped, resized, HEIC converted).
- :mod:`reviews.schema`, :mod:`reviews.outbox` — the durable outbox: everything
  meant for the marketplace is written to the desktop database first, then
  delivered exactly once by a background sender through a pluggable transport.
- :mod:`reviews.sender`, :mod:`reviews.http_transport` — the sender thread and
  its HTTP transport.
- :mod:`reviews.preview` — the points a review will earn, for the composer.
- :mod:`reviews.publication` — model publication drafts (REWARDS.md §8).
- :mod:`reviews.client` — a small client of the marketplace's HTTP API.
- :mod:`reviews.account` — sign-up, sign-in, the device key's registration.
- :mod:`reviews.profiles` — print profiles from the G-code that ran, and back.
- :mod:`reviews.service` — :class:`~reviews.service.ReviewsService`, what the
  app builds and the UI and CLI call.
- :mod:`reviews.errors` — the typed errors (:class:`~reviews.errors.ReviewsError`).
"""
