"""The database as the flow source's origin (flow/origins.py): every worker looks at the live
version's number (twice a second, flow/source.py) and serves that version's files.

On an empty database the first fetch publishes the shipped flow files (FLOWS_DIR) as version 1,
by `files` (several workers starting at once publish it once: the publish lock). After that the
files on disk are not read again, except in development (watch=True, `make run`): there an edit
of the folder is published as a new version by `files`, and an edit with errors is refused as
a broken edit always was (logged, shown on /healthz) while the live version keeps serving.
"""
from __future__ import annotations

from ..flow.loader import content_hash, read_folder
from ..flow.origins import FolderOrigin, Offer
from ..flow.problems import FlowError, Problem
from .publishing import FlowVersions, PublishRefused
from .validation import located

FILES = "files"  # who publishes the files on disk


class DatabaseOrigin:
    inline = False  # a look is a query: it runs beside the request (flow/source.py)

    def __init__(self, versions: FlowVersions, folder: str, watch: bool = False):
        self.versions = versions
        self.folder = FolderOrigin(folder)
        self.watch = watch
        self._folder_seen = None  # the folder's mark when its files were last published or refused

    def look(self) -> tuple:
        live = self.versions.store.live()
        return (live[0] if live else None, self.folder.look() if self.watch else None)

    def fetch(self) -> Offer:
        folder_mark = self.folder.look() if self.watch else None
        if self.watch and folder_mark != self._folder_seen:
            self._folder_seen = folder_mark
            refused = self._publish_edit()
            if refused is not None:
                live = self.versions.store.live()
                return Offer((live[0] if live else None, folder_mark), refused.files, refused.where)
        live = self.versions.live()
        if live is None:
            self._first_version()
            live = self.versions.live()
        return Offer((live.number, folder_mark), self.versions.files(live.number), "", live.number,
                     live.published_at.isoformat(timespec="seconds"))

    def _first_version(self) -> None:
        files, where = read_folder(self.folder.path)
        try:
            self.versions.publish(files, FILES, f"the flow files shipped in {self.folder.path}", only_first=True)
        except PublishRefused as refused:  # the app does not start: each error as file:line
            raise FlowError(located(refused.problems, where) or [Problem(where or "flows", 1, str(refused))]) from None

    def _publish_edit(self) -> Offer | None:
        """Development: publish the folder when it differs from what `files` last published; the
        folder's files when they cannot be published (for the flow source to refuse and report)."""
        offer = self.folder.fetch()
        newest = self.versions.store.newest_by(FILES)
        if newest is None or newest.content_hash == content_hash(offer.files):
            return None  # nothing published yet (the first version comes next), or no edit since
        try:
            self.versions.publish(offer.files, FILES, f"{self.folder.path} edited (development)")
        except PublishRefused:
            return offer
        return None
