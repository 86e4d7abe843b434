"""The flow being served. A broken flow never starts the app."""
from __future__ import annotations

from .flow import Flow
from .loader import load_flow


class FlowSource:
    """Holds the flow being served; a rejected edit never replaces a good flow."""

    def __init__(self, path: str):
        self.path = path
        self._flow = load_flow(path)  # raises FlowError

    @property
    def flow(self) -> Flow:
        return self._flow
