"""What every console response carries: a Content-Security-Policy that allows no inline script
and no framing, nosniff, no referrer, and no-store (pages can show patients' details and drafts
nobody has published). The webhooks never see any of this: the console is an app of its own."""
from __future__ import annotations

from flask import Response, request

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",  # vendored files only: no inline script, no eval
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.endpoint != "static":  # the vendored files may be cached; no page may
        response.headers["Cache-Control"] = "no-store"
    return response
