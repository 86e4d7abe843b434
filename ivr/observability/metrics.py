"""Prometheus metrics: webhook requests and latency, step outcomes by node, emergency guidance
served, and the outbox depth (read from the database at each scrape).

Labels come from bounded sets only (endpoint names, node ids of the flow, event names), never
from anything a caller sends. Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR
to an empty folder before the server starts: each worker then writes its counts there and a
scrape of any worker adds them all up (prometheus_client's multiprocess mode)."""
from __future__ import annotations

import logging
import os
import re

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from ..engine.outcomes import guidance_reason
from ..engine.state import LANGUAGE
from ..flow import Flow
from ..storage.events import Step

log = logging.getLogger("ivr.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_EVENT_NAME = re.compile(r"[a-z][a-z_]{0,31}")

WEBHOOK_SECONDS = Histogram(
    "ivr_webhook_seconds", "Time taken to answer a Twilio webhook", ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0))  # Twilio gives up at 15 s
WEBHOOK_REQUESTS = Counter("ivr_webhook_requests", "Twilio webhook requests answered", ["endpoint", "status"])
STEP_OUTCOMES = Counter("ivr_step_outcomes", "Conversation steps: where they left the caller and what happened",
                        ["channel", "node", "event"])
EMERGENCY_GUIDANCE = Counter("ivr_emergency_guidance", "Times the emergency guidance was served",
                             ["channel", "reason"])  # reason: greeting (every call) or red_flag


def observe_webhook(endpoint: str, status: int, seconds: float) -> None:
    WEBHOOK_SECONDS.labels(endpoint).observe(seconds)
    WEBHOOK_REQUESTS.labels(endpoint, str(status)).inc()


def count_step(step: Step, flow: Flow) -> None:
    STEP_OUTCOMES.labels(step.channel, node_label(flow, step.node), event_label(step.event)).inc()
    reason = guidance_reason(step.channel, step.node, step.event)
    if reason:
        EMERGENCY_GUIDANCE.labels(step.channel, reason).inc()


def node_label(flow: Flow, node: str) -> str:
    if not node:
        return "none"
    return node if node in flow.nodes or node == LANGUAGE else "other"


def event_label(event: str) -> str:
    return event if _EVENT_NAME.fullmatch(event) else "other"


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def exposition(outbox) -> bytes:
    """The text a scrape gets: this process's metrics (or every worker's in multiprocess mode)
    and the outbox depth as it is now."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_OutboxDepth(outbox))
    return generate_latest(registry)


class _ThisProcess:
    def collect(self):
        return REGISTRY.collect()


class _OutboxDepth:
    def __init__(self, outbox):
        self.outbox = outbox

    def collect(self):
        try:
            depth = self.outbox.depth()
        except Exception as error:  # the database is down: the rest of the scrape still answers
            log.warning("outbox depth unavailable: %s", type(error).__name__)
            return
        yield GaugeMetricFamily("ivr_outbox_depth", "Texts waiting in the outbox to be sent", value=depth)
