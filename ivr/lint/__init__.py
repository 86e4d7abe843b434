"""`ivr validate`: the loader's errors, and the warnings about the line as callers and texters
meet it (menu sizes, unreachable nodes, shared words, text-message characters and lengths, seconds
of speech, reading level). Above the renderers: it measures what they produce."""
from .report import Report, lint

__all__ = ["Report", "lint"]
