"""Flow versions and drafts as rows: the files of each, byte for byte, and what is known about
them. Plain values only; what the files mean (loading, checking, diffing, merging) is
ivr/versions/'s.

Published versions are never changed or deleted. Every publish takes flow_lock's row first, so
publishes run one after the other on SQLite and PostgreSQL alike, each in one transaction: a
version is there whole, or not at all. A draft is saved only from the revision it was read at
(one conditional UPDATE), so two editors never silently overwrite each other.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator, Mapping

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Connection

from .db import Database
from .tables import flow_draft_files, flow_drafts, flow_lock, flow_version_files, flow_versions
from .times import as_utc

Files = Mapping[str, bytes]  # file name -> content


class NotFound(LookupError):
    """No version or draft by that number."""


class StaleDraft(RuntimeError):
    """The draft was saved by someone else since it was read: nothing was saved."""

    def __init__(self, draft: "DraftRow"):
        self.draft = draft
        super().__init__(f"draft {draft.id} was saved by {draft.saved_by} at {draft.saved_at:%Y-%m-%d %H:%M} "
                         f"(revision {draft.revision}) since you opened it: nothing was saved; open it again "
                         "to see their change")


class DraftClosed(RuntimeError):
    """The draft was published or discarded: it can no longer change."""

    @classmethod
    def of(cls, draft: "DraftRow") -> "DraftClosed":
        return cls(f"draft {draft.id} was {draft.state}"
                   + (f" as version {draft.published_as}" if draft.published_as else ""))


@dataclass(frozen=True)
class VersionRow:
    number: int
    content_hash: str
    published_at: datetime
    published_by: str
    note: str
    based_on: int | None
    draft_id: int | None
    warnings: int
    problems: list = field(default_factory=list)  # [{file, line, severity, message, hint}]
    changes: dict = field(default_factory=dict)  # what changed from the version live before it


@dataclass(frozen=True)
class DraftRow:
    id: int
    based_on: int
    state: str  # draft, published or discarded
    revision: int
    made_at: datetime
    made_by: str
    saved_at: datetime
    saved_by: str
    note: str
    errors: int
    warnings: int
    problems: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    published_as: int | None = None


@dataclass(frozen=True)
class Checks:
    """A validation result as stored: counts and every problem."""

    errors: int
    warnings: int
    problems: list


def _values(row, fields) -> dict:
    return {name: as_utc(v) if isinstance(v, datetime) else v for name in fields for v in [row._mapping[name]]}


def _version(row) -> VersionRow:
    return VersionRow(**_values(row, VersionRow.__dataclass_fields__))


def _draft(row) -> DraftRow:
    return DraftRow(**_values(row, DraftRow.__dataclass_fields__))


def _files(conn: Connection, table, key, value) -> dict[str, bytes]:
    rows = conn.execute(select(table.c.name, table.c.content).where(key == value).order_by(table.c.name))
    return {name: bytes(content) for name, content in rows}


class Publishing:
    """One publish, inside the transaction that holds the publish lock."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.live = _latest(conn)

    def files(self, number: int) -> dict[str, bytes]:
        return _files(self.conn, flow_version_files, flow_version_files.c.number, number)

    def with_content(self, content_hash: str) -> list[int]:
        """The versions holding exactly these files, newest first."""
        query = select(flow_versions.c.number).where(flow_versions.c.content_hash == content_hash)
        return list(self.conn.execute(query.order_by(flow_versions.c.number.desc())).scalars())

    def add(self, files: Files, content_hash: str, now: datetime, by: str, note: str, based_on: int | None,
            checks: Checks, changes: dict, draft: tuple[int, int] | None = None) -> VersionRow:
        """The next version, published now. `draft`: (id, revision) of the draft it is, marked
        published with it; StaleDraft (and nothing published) if the draft was saved since."""
        number = (self.live.number if self.live else 0) + 1
        row = {"number": number, "content_hash": content_hash, "published_at": now, "published_by": by,
               "note": note, "based_on": based_on, "draft_id": draft[0] if draft else None,
               "warnings": checks.warnings, "problems": checks.problems, "changes": changes}
        if draft is not None:
            done = self.conn.execute(update(flow_drafts).where(_at_revision(*draft)).values(
                state="published", published_as=number))
            if done.rowcount != 1:
                raise _refusal(self.conn, draft[0])
        self.conn.execute(insert(flow_versions), row)
        self.conn.execute(insert(flow_version_files),
                          [{"number": number, "name": name, "content": content} for name, content in files.items()])
        self.live = VersionRow(**row)
        return self.live


def _at_revision(draft_id: int, revision: int):
    """The draft, still open and still at the revision it was read at (the stale-save check)."""
    return and_(flow_drafts.c.id == draft_id, flow_drafts.c.revision == revision, flow_drafts.c.state == "draft")


def _refusal(conn: Connection, draft_id: int) -> Exception:
    """Why a draft could not be saved or published from the revision given."""
    row = conn.execute(select(flow_drafts).where(flow_drafts.c.id == draft_id)).first()
    if row is None:
        return NotFound(f"there is no draft {draft_id}")
    current = _draft(row)
    if current.state != "draft":
        return DraftClosed.of(current)
    return StaleDraft(current)


def _latest(conn: Connection) -> VersionRow | None:
    row = conn.execute(select(flow_versions).order_by(flow_versions.c.number.desc()).limit(1)).first()
    return _version(row) if row else None


class FlowVersionStore:
    def __init__(self, db: Database):
        self.db = db
        upsert = db.upsert_insert(flow_lock).values(id=1, publishes=1)
        self._take_lock = upsert.on_conflict_do_update(
            index_elements=["id"], set_={"publishes": flow_lock.c.publishes + 1})
        self._live = select(flow_versions.c.number, flow_versions.c.published_at).order_by(
            flow_versions.c.number.desc()).limit(1)

    # --- published versions ---

    def live(self) -> tuple[int, datetime] | None:
        """The live version's number and when it was published: what every worker looks at."""
        with self.db.engine.connect() as conn:
            row = conn.execute(self._live).first()
        return (row.number, as_utc(row.published_at)) if row else None

    def latest(self) -> VersionRow | None:
        with self.db.engine.connect() as conn:
            return _latest(conn)

    def version(self, number: int) -> VersionRow:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(flow_versions).where(flow_versions.c.number == number)).first()
        if row is None:
            raise NotFound(f"there is no version {number}")
        return _version(row)

    def files(self, number: int) -> dict[str, bytes]:
        with self.db.engine.connect() as conn:
            files = _files(conn, flow_version_files, flow_version_files.c.number, number)
        if not files:
            raise NotFound(f"there is no version {number}")
        return files

    def versions(self, limit: int | None = None) -> list[VersionRow]:
        """Newest first."""
        query = select(flow_versions).order_by(flow_versions.c.number.desc())
        with self.db.engine.connect() as conn:
            return [_version(row) for row in conn.execute(query.limit(limit) if limit else query)]

    def newest_by(self, who: str) -> VersionRow | None:
        query = select(flow_versions).where(flow_versions.c.published_by == who)
        with self.db.engine.connect() as conn:
            row = conn.execute(query.order_by(flow_versions.c.number.desc()).limit(1)).first()
        return _version(row) if row else None

    @contextmanager
    def publishing(self) -> Iterator[Publishing]:
        """A transaction holding the publish lock, flushed to disk at commit."""
        with self.db.begin() as conn:
            conn.execute(self._take_lock)  # waits here while another publish is under way
            yield Publishing(conn)

    # --- drafts ---

    def new_draft(self, files: Files, based_on: int, by: str, note: str, now: datetime, checks: Checks) -> DraftRow:
        values = {"based_on": based_on, "state": "draft", "revision": 1, "made_at": now, "made_by": by,
                  "saved_at": now, "saved_by": by, "note": note, "errors": checks.errors,
                  "warnings": checks.warnings, "problems": checks.problems, "conflicts": []}
        with self.db.begin() as conn:
            draft_id = conn.execute(insert(flow_drafts).values(values).returning(flow_drafts.c.id)).scalar_one()
            if files:
                conn.execute(insert(flow_draft_files),
                             [{"draft_id": draft_id, "name": n, "content": c} for n, c in files.items()])
        return DraftRow(id=draft_id, **values)

    def draft(self, draft_id: int) -> DraftRow:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(flow_drafts).where(flow_drafts.c.id == draft_id)).first()
        if row is None:
            raise NotFound(f"there is no draft {draft_id}")
        return _draft(row)

    def draft_files(self, draft_id: int) -> dict[str, bytes]:
        with self.db.engine.connect() as conn:
            return _files(conn, flow_draft_files, flow_draft_files.c.draft_id, draft_id)

    def drafts(self, state: str | None = "draft") -> list[DraftRow]:
        """Newest first; every state with state=None."""
        query = select(flow_drafts).order_by(flow_drafts.c.id.desc())
        if state is not None:
            query = query.where(flow_drafts.c.state == state)
        with self.db.engine.connect() as conn:
            return [_draft(row) for row in conn.execute(query)]

    def save_draft(self, draft_id: int, revision: int, changed: Mapping[str, bytes | None], by: str, now: datetime,
                   checks: Checks, *, based_on: int | None = None, conflicts: list | None = None,
                   note: str | None = None, conn: Connection | None = None) -> DraftRow:
        """Save a draft read at `revision`: the files in `changed` (None removes one), the checks of
        the result, and optionally a new base, conflicts or note. StaleDraft when it was saved
        since; DraftClosed when it was published or discarded. Inside `conn` when given (a publish's
        transaction), else in a transaction of its own."""
        if conn is None:
            with self.db.begin() as own:
                return self.save_draft(draft_id, revision, changed, by, now, checks, based_on=based_on,
                                       conflicts=conflicts, note=note, conn=own)
        values = {"revision": revision + 1, "saved_at": now, "saved_by": by, "errors": checks.errors,
                  "warnings": checks.warnings, "problems": checks.problems}
        values.update({k: v for k, v in (("based_on", based_on), ("conflicts", conflicts), ("note", note))
                       if v is not None})
        done = conn.execute(update(flow_drafts).where(_at_revision(draft_id, revision)).values(values))
        if done.rowcount != 1:
            raise _refusal(conn, draft_id)
        for name, content in changed.items():
            conn.execute(delete(flow_draft_files).where(and_(
                flow_draft_files.c.draft_id == draft_id, flow_draft_files.c.name == name)))
            if content is not None:
                conn.execute(insert(flow_draft_files).values(draft_id=draft_id, name=name, content=content))
        return _draft(conn.execute(select(flow_drafts).where(flow_drafts.c.id == draft_id)).one())

    def discard_draft(self, draft_id: int, revision: int, by: str, now: datetime) -> None:
        """Discard a draft read at `revision` (StaleDraft, DraftClosed as for a save)."""
        with self.db.begin() as conn:
            done = conn.execute(update(flow_drafts).where(_at_revision(draft_id, revision)).values(
                state="discarded", revision=revision + 1, saved_at=now, saved_by=by))
            if done.rowcount != 1:
                raise _refusal(conn, draft_id)
