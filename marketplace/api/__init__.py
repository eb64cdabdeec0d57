"""The HTTP API of the marketplace service (``/api/v1``), one router per area."""
