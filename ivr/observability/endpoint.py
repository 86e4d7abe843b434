"""GET /metrics, and the timing of every Twilio webhook request (voice and sms blueprints)."""
from __future__ import annotations

import logging
from time import perf_counter

from flask import Blueprint, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST

from ..services import services
from . import metrics

bp = Blueprint("observability", __name__)
log = logging.getLogger("ivr.metrics")

WEBHOOKS = ("voice", "sms")  # the blueprints Twilio calls


@bp.before_app_request
def start_clock() -> None:
    if request.blueprint in WEBHOOKS:
        g.ivr_webhook_started = perf_counter()


@bp.after_app_request
def count_request(response: Response) -> Response:
    started = g.pop("ivr_webhook_started", None)
    if started is not None:
        try:
            metrics.observe_webhook(request.endpoint or "-", response.status_code, perf_counter() - started)
        except Exception as error:  # a metric never breaks a webhook
            log.warning("webhook request not counted: %s", type(error).__name__)
    return response


@bp.get("/metrics")
def scrape() -> Response:
    return Response(metrics.exposition(services().outbox), headers={"Content-Type": CONTENT_TYPE_LATEST})
