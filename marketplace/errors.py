"""Typed errors of the marketplace; the web layer turns them into problem details."""

from __future__ import annotations

from typing import Any


class MarketplaceError(Exception):
    """Base class of every error the marketplace raises on purpose."""


class ApiError(MarketplaceError):
    """An answer the client gets as ``application/problem+json`` (RFC 9457)."""

    def __init__(self, status: int, title: str, detail: str = "", code: str = "",
                 **extra: Any) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.code = code or title.lower().replace(" ", "_")
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://layerline.invalid/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extra)
        return body


def bad_request(detail: str, code: str = "bad_request") -> ApiError:
    return ApiError(400, "Bad request", detail, code)


def unauthorized(detail: str = "sign in first") -> ApiError:
    return ApiError(401, "Unauthorized", detail, "unauthorized")


def forbidden(detail: str = "not allowed") -> ApiError:
    return ApiError(403, "Forbidden", detail, "forbidden")


def not_found(what: str) -> ApiError:
    return ApiError(404, "Not found", f"no such {what}", "not_found")


def conflict(detail: str, code: str = "conflict") -> ApiError:
    return ApiError(409, "Conflict", detail, code)


def unprocessable(detail: str, code: str = "invalid") -> ApiError:
    return ApiError(422, "Unprocessable content", detail, code)


def too_large(detail: str) -> ApiError:
    return ApiError(413, "Content too large", detail, "too_large")
