"""Flow definitions: the typed model, the loader and its checks."""
from .flow import Flow
from .loader import load_flow
from .problems import FlowError, Problem

__all__ = ["Flow", "FlowError", "Problem", "load_flow"]
