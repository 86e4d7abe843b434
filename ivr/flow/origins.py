"""Where the flow being served comes from. The flow source (source.py) asks an origin two
things: `look()`, cheap and asked at most once a second, returns a mark that changes whenever
there is something new to serve; `fetch()` returns the files to serve now, as an Offer.

Two origins: a folder of flow files on disk (here), and the database's published versions
(ivr/versions/origin.py, handed in from above so that the flow layer knows nothing of storage).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Hashable, Mapping, Protocol

from .loader import flow_files, read_folder


@dataclass(frozen=True)
class Offer:
    """A set of flow files to serve."""

    mark: Hashable  # what look() returns while these are the files to serve
    files: Mapping[str, bytes]  # name -> bytes
    where: str = ""  # the folder the names are relative to in problems ("" for a version)
    number: int | None = None  # the published version they are, if any
    published_at: str | None = None  # when it was published (UTC, ISO 8601)


class Origin(Protocol):
    inline: bool  # True: looks are quick enough to make in a request; False: they run beside it

    def look(self) -> Hashable: ...

    def fetch(self) -> Offer: ...


class FolderOrigin:
    """Flow files in a folder (or one file): what changes when a file is saved, added or removed."""

    inline = True

    def __init__(self, path: str | Path):
        self.path = str(path)

    def look(self) -> tuple:
        try:
            return tuple((str(f), s.st_mtime_ns, s.st_size) for f in flow_files(self.path) for s in [f.stat()])
        except OSError:  # the folder is being replaced: look again next time
            return ()

    def fetch(self) -> Offer:
        mark = self.look()  # taken before reading: a save during the read shows next time
        files, where = read_folder(self.path)
        return Offer(mark, files, where)
