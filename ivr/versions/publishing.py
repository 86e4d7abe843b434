"""Flow versions: publishing a set of files (from a folder, a draft or an old version) as the
new live version, and reading what was published. Versions are never changed: a rollback
publishes an old version's files again under a new number.

Publishing checks the files first (validation.py): a set with errors is never published, and with
strict=True warnings refuse it too. Then, holding the publish lock (storage/flow_versions.py),
it compares them with the live version (the same files make no new version) and writes the whole
version in one transaction. Every server's workers serve it within seconds (origin.py).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping

from ..flow.loader import content_hash, read_folder
from ..flow.problems import Problem
from ..storage.flow_versions import FlowVersionStore, VersionRow
from .diff import Diff, compare
from .merge import merge
from .validation import Validation, validate

log = logging.getLogger("ivr.versions")

BASE_MARK = ".based-on"  # beside exported files: the number of the version they are
PUBLISH_TRIES = 3  # merged again when another publish lands meanwhile
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.ya?ml$")  # no folders: export writes these names


class PublishRefused(Exception):
    """Nothing was published; the message says why, `problems` and `conflicts` say where."""

    def __init__(self, message: str, problems: list[Problem] = (), conflicts: list = ()):
        super().__init__(message)
        self.problems = list(problems)
        self.conflicts = list(conflicts)


class OlderContent(PublishRefused):
    """The files are an older version's, not the live one's: publishing them would undo what was
    published since, so it is left to a rollback, on purpose."""

    def __init__(self, number: int, live: int):
        super().__init__(f"these files are version {number}'s, and version {live} is live (published after it): "
                         f"nothing published. To go back to them on purpose: ivr flows rollback {number}")
        self.number = number


class LiveMoved(RuntimeError):
    """The live version changed while a draft was being published: bring it up to date again."""


@dataclass(frozen=True)
class Published:
    version: VersionRow  # the live version now
    new: bool  # False: the files were the live version's already, and nothing was made
    validation: Validation
    merged: int = 0  # fields a draft took from versions published since it started


def based_on(folder: str | Path) -> int | None:
    """The version a folder's files were exported from, if `ivr flows export` wrote them."""
    mark = Path(folder) / BASE_MARK
    try:
        text = mark.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def check_names(files: Mapping[str, bytes]) -> None:
    bad = [name for name in files if not FILE_NAME.match(name)]
    if bad:
        raise PublishRefused(f"'{bad[0]}' is not a flow file name: use letters, digits, '-', '_' or '.', "
                             "ending in .yaml (no folders)")


class FlowVersions:
    """The published versions of the line's flow (the console and `ivr flows` call these)."""

    def __init__(self, store: FlowVersionStore, clock: Callable[[], datetime]):
        self.store = store
        self.clock = clock

    # --- reading ---

    def live(self) -> VersionRow | None:
        return self.store.latest()

    def version(self, number: int) -> VersionRow:
        return self.store.version(number)

    def files(self, number: int) -> dict[str, bytes]:
        return self.store.files(number)

    def history(self, limit: int | None = None) -> list[VersionRow]:
        """Newest first; the first is live."""
        return self.store.versions(limit)

    def diff(self, before: Mapping[str, bytes], after: Mapping[str, bytes]) -> Diff:
        return compare(before, after)

    # --- publishing ---

    def publish(self, files: Mapping[str, bytes], by: str, note: str, *, strict: bool = False,
                based_on: int | None = None, refuse_older: bool = False, only_first: bool = False,
                draft: tuple[int, int] | None = None, expect_live: int | None = None,
                restores: int | None = None) -> Published:
        """Publish `files` as the new live version, made by `by` with `note`.

        PublishRefused when they have errors (or warnings, with strict); OlderContent with
        refuse_older when they are an older version's files. The same files as the live version
        make no new version (Published.new is False). only_first: publish only if there is no
        version yet (the first start). draft: (id, revision) of the draft they come from, marked
        published in the same transaction (StaleDraft if it was saved since). expect_live: the
        version the files were brought up to date with (LiveMoved if another is live by now).
        restores: the version whose files these are again (a rollback), for the history."""
        files = dict(files)
        check_names(files)
        validation = validate(files)
        if validation.errors:
            raise PublishRefused(f"{_count(validation.errors, 'error')}: nothing published", validation.errors)
        if strict and validation.warnings:
            raise PublishRefused(f"{_count(validation.warnings, 'warning')} (strict): nothing published",
                                 validation.warnings)
        digest = content_hash(files)
        with self.store.publishing() as tx:
            live = tx.live
            if live is not None and (only_first or live.content_hash == digest):
                return Published(live, False, validation)
            if expect_live is not None and (live is None or live.number != expect_live):
                raise LiveMoved()
            if refuse_older and live is not None:
                older = tx.with_content(digest)
                if older:
                    raise OlderContent(older[0], live.number)
            changes = compare(tx.files(live.number), files).summary() if live else {"first": True}
            if restores is not None:
                changes["restores"] = restores
            based = based_on if based_on is not None else live.number if live else None
            row = tx.add(files, digest, self.clock(), by, note, based, validation.checks(), changes, draft)
        log.info("flow version %d published by %s (%s)", row.number, by,
                 _count(validation.warnings, "warning"))
        return Published(row, True, validation)

    def publish_folder(self, path: str | Path, by: str, note: str, **options) -> Published:
        """The files in a folder. A folder `ivr flows export` wrote says which version its files came
        from (BASE_MARK): when another is live by now, the folder's changes are merged with what was
        published since (merge.py), and a field changed on both sides refuses the publish."""
        files, _ = read_folder(path)
        base = based_on(path)
        for _ in range(PUBLISH_TRIES):
            live = self.live()
            if base is None or live is None or base == live.number:
                return self.publish(files, by, note, **options)
            merged = merge(self.files(base), files, self.files(live.number))
            if merged.conflicts:
                raise PublishRefused(f"{_count(merged.conflicts, 'change')} in {path} conflict with version "
                                     f"{live.number}, published since version {base}: nothing published",
                                     conflicts=merged.conflicts)
            try:
                return self.publish(merged.files, by, note, expect_live=live.number, **options)
            except LiveMoved:
                continue
        raise PublishRefused("other versions kept being published meanwhile: nothing published; try again")

    def rollback(self, number: int, by: str, note: str) -> Published:
        """Version `number`'s files published again as a new version (checked again: a version this
        code can no longer serve is refused)."""
        return self.publish(self.store.files(number), by, note, based_on=number, restores=number)


def _count(items, word: str) -> str:
    return f"{len(items)} {word}{'' if len(items) == 1 else 's'}"
