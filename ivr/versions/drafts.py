"""Drafts: a set of flow files being changed, that callers hear nothing of until it is published.

A draft starts from a version (the live one unless told), is changed file by file (save_file,
remove_file) or field by field and node by node (save_fields, set_node), and is checked at every
save as `ivr validate` checks files: it is saved whatever the checks find (nobody loses work to
an error); errors only stop it being published. Every save names the revision it was made from;
a save from an older revision is refused (StaleDraft), so two editors never silently overwrite
each other.

Publishing a draft whose base is no longer live first brings it up to date (merge.py); a field
changed both in the draft and in what was published meanwhile is a conflict that the person
resolves (resolve), and until then the draft cannot be published.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ..flow.loader import MERGED_SECTIONS
from ..flow.problems import Problem
from ..storage.flow_versions import DraftClosed, DraftRow, StaleDraft
from . import yaml_edit
from .completeness import Completeness, completeness
from .diff import Diff, compare, label
from .fields import read
from .merge import Conflict, merge
from .publishing import PUBLISH_TRIES, FlowVersions, LiveMoved, Published, PublishRefused, check_names
from .validation import from_json, validate


@dataclass(frozen=True)
class Draft:
    row: DraftRow
    files: dict[str, bytes]

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def revision(self) -> int:
        return self.row.revision

    @property
    def based_on(self) -> int:
        return self.row.based_on

    @property
    def problems(self) -> list[Problem]:
        """What the checks found at the last save: file:line, severity, message, hint."""
        return [from_json(p) for p in self.row.problems]

    @property
    def conflicts(self) -> list[Conflict]:
        return [Conflict.from_json(c) for c in self.row.conflicts]


def item_and_field(path: tuple) -> tuple[tuple, tuple]:
    """("nodes", "main", "say", "es") -> (("nodes", "main"), ("say", "es")); ("line", "name") -> (("line",), ...)."""
    size = 2 if path[0] in MERGED_SECTIONS else 1
    if len(path) < size:
        raise yaml_edit.EditError(f"'{'/'.join(map(str, path))}' names no node, phrase or section")
    return tuple(path[:size]), tuple(path[size:])


class Drafts:
    def __init__(self, versions: FlowVersions):
        self.versions = versions
        self.store = versions.store

    # --- reading ---

    def get(self, draft_id: int) -> Draft:
        return Draft(self.store.draft(draft_id), self.store.draft_files(draft_id))

    def open(self) -> list[DraftRow]:
        """The drafts not yet published or discarded, newest first."""
        return self.store.drafts("draft")

    def diff(self, draft_id: int) -> Diff:
        """What publishing the draft would change in the live version."""
        live = self.versions.live()
        return compare(self.versions.files(live.number) if live else {}, self.get(draft_id).files)

    def completeness(self, draft_id: int) -> dict[str, Completeness]:
        return completeness(self.get(draft_id).files)

    # --- changing ---

    def start(self, by: str, note: str = "", base: int | None = None,
              files: Mapping[str, bytes] | None = None) -> Draft:
        """A new draft from version `base` (the live one by default), or from `files` based on it."""
        if base is None:
            live = self.versions.live()
            if live is None:
                raise PublishRefused("there is no published version to start a draft from")
            base = live.number
        content = dict(files) if files is not None else self.versions.files(base)
        check_names(content)
        return Draft(self.store.new_draft(content, base, by, note, self.versions.clock(), validate(content).checks()),
                     content)

    def save_file(self, draft_id: int, revision: int, name: str, content: bytes | str, by: str) -> Draft:
        """A whole file, as typed in the advanced view (saved even when it has errors)."""
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        check_names({name: data})
        return self._save(draft_id, revision, {name: data}, by)

    def remove_file(self, draft_id: int, revision: int, name: str, by: str) -> Draft:
        return self._save(draft_id, revision, {name: None}, by)

    def save_fields(self, draft_id: int, revision: int, edits: Mapping[tuple, object], by: str,
                    new_in: str | None = None) -> Draft:
        """Set fields, keeping the rest of each file as written. A path is an item then a field:
        ("nodes", "main", "say", "es"), ("nodes", "main", "options", "key=3", "goto"), an option by
        its place ("nodes", "main", "options", 0, "label", "en"), a whole node ("nodes", "hours"),
        a section ("line", "clinic_phone"). None removes what is there. A node or phrase the draft
        does not have yet goes into the file `new_in`."""
        draft = self._open(draft_id, revision)
        found = read(draft.files)
        docs: dict[str, object] = {}
        for path, value in edits.items():
            item, _ = item_and_field(tuple(path))
            name = found.where.get(item) or new_in
            if name is None:
                raise yaml_edit.EditError(f"{label(item)} is not in the draft: say which file it goes in")
            if name in found.unreadable:
                raise yaml_edit.EditError(f"{name} cannot be read ({found.unreadable[name]}): fix it in the file first")
            if name not in docs:
                docs[name] = yaml_edit.load(draft.files[name]) if name in draft.files else yaml_edit.CommentedMap()
            if value is None:
                yaml_edit.remove(docs[name], tuple(path))
            else:
                yaml_edit.put(docs[name], tuple(path), value)
        changed = {name: yaml_edit.dump(doc) for name, doc in docs.items()}
        check_names(changed)
        return self._save(draft_id, revision, changed, by, draft)

    def set_node(self, draft_id: int, revision: int, node_id: str, node: dict | None, by: str,
                 file: str | None = None) -> Draft:
        """Add, replace (node: its fields) or remove (None) one node."""
        return self.save_fields(draft_id, revision, {("nodes", node_id): node}, by, new_in=file)

    def bring_up_to_date(self, draft_id: int, revision: int, by: str) -> Draft:
        """Merge what was published since the draft's base into it (nothing when its base is live).
        Conflicts are kept with the draft, with the draft's own value in its files meanwhile."""
        draft = self._open(draft_id, revision)
        live = self.versions.live()
        if live is None or live.number == draft.based_on:
            return draft
        merged = merge(self.versions.files(draft.based_on), draft.files, self.versions.files(live.number))
        new = {(c.item, c.field) for c in merged.conflicts}
        kept = [c for c in draft.conflicts if (c.item, c.field) not in new]  # earlier ones stay until chosen
        conflicts = [c.as_json() for c in (*kept, *merged.conflicts)]
        changed = {name: merged.files.get(name) for name in {*draft.files, *merged.files}
                   if merged.files.get(name) != draft.files.get(name)}
        return self._save(draft_id, revision, changed, by, draft, based_on=live.number, conflicts=conflicts)

    def resolve(self, draft_id: int, revision: int, conflict: int, take: str, by: str) -> Draft:
        """Settle conflict number `conflict` (its place in Draft.conflicts): take "mine" (the
        draft's value, already in its files) or "theirs" (the published one)."""
        draft = self._open(draft_id, revision)
        conflicts = draft.conflicts
        if not 0 <= conflict < len(conflicts) or take not in ("mine", "theirs"):
            raise yaml_edit.EditError("choose one of the draft's conflicts, and take 'mine' or 'theirs'")
        chosen = conflicts.pop(conflict)
        rest = [c.as_json() for c in conflicts]
        if take == "mine":
            return self._save(draft_id, revision, {}, by, draft, conflicts=rest)
        edit = {(*chosen.item, *chosen.field): chosen.theirs}
        edited = self.save_fields(draft_id, revision, edit, by, new_in=chosen.file)
        return self._save(draft_id, edited.revision, {}, by, edited, conflicts=rest)

    def discard(self, draft_id: int, revision: int, by: str) -> None:
        self.store.discard_draft(draft_id, revision, by, self.versions.clock())

    def publish(self, draft_id: int, revision: int, by: str, note: str | None = None,
                strict: bool = False) -> Published:
        """Publish the draft as the new live version, brought up to date first when its base is no
        longer live. PublishRefused for errors (warnings too with strict) or conflicts; StaleDraft
        when it was saved since `revision`."""
        merged = 0
        for _ in range(PUBLISH_TRIES):
            draft = self._open(draft_id, revision)
            live = self.versions.live()
            if live is not None and live.number != draft.based_on:
                before = draft.files
                draft = self.bring_up_to_date(draft_id, revision, by)
                revision = draft.revision
                merged += sum(1 for name in {*before, *draft.files} if before.get(name) != draft.files.get(name))
            if draft.conflicts:
                raise PublishRefused(
                    f"{len(draft.conflicts)} change{'s' if len(draft.conflicts) != 1 else ''} of the draft "
                    f"conflict with version {draft.based_on}: choose for each, then publish", conflicts=draft.conflicts)
            try:
                published = self.versions.publish(draft.files, by, draft.row.note if note is None else note,
                                                  strict=strict, based_on=draft.based_on,
                                                  draft=(draft_id, revision), expect_live=draft.based_on)
            except LiveMoved:
                continue
            return Published(published.version, published.new, published.validation, merged)
        raise PublishRefused("other versions kept being published meanwhile: nothing published; try again")

    def _open(self, draft_id: int, revision: int) -> Draft:
        draft = self.get(draft_id)
        if draft.row.state != "draft":
            raise DraftClosed.of(draft.row)
        if draft.revision != revision:
            raise StaleDraft(draft.row)
        return draft

    def _save(self, draft_id: int, revision: int, changed: Mapping[str, bytes | None], by: str,
              draft: Draft | None = None, **fields) -> Draft:
        draft = draft or self._open(draft_id, revision)
        files = {**draft.files, **changed}
        files = {name: content for name, content in files.items() if content is not None}
        row = self.store.save_draft(draft_id, revision, changed, by, self.versions.clock(), validate(files).checks(),
                                    **fields)
        return Draft(row, files)
