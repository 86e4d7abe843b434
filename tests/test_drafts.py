"""Drafts, on SQLite and PostgreSQL: saved at every edit with errors and all (errors only stop
publishing), a save from an older revision refused, edits field by field keeping the rest of the
file, a draft whose base is no longer live brought up to date field by field, and a field changed
on both sides a conflict the person resolves."""
import difflib

import pytest

from ivr.storage.flow_versions import DraftClosed, FlowVersionStore, StaleDraft
from ivr.versions.drafts import Drafts
from ivr.versions.publishing import FlowVersions, PublishRefused

from versions_helpers import Clock, broken, shipped, text_of, with_text

SAY_EN, SAY_ES = ("nodes", "main", "say", "en"), ("nodes", "main", "say", "es")
TITLE_EN = ("nodes", "main", "title", "en")


@pytest.fixture
def versions(db):
    versions = FlowVersions(FlowVersionStore(db), Clock())
    versions.publish(shipped(), "files", "the shipped files")
    return versions


@pytest.fixture
def drafts(versions):
    return Drafts(versions)


def changed_lines(before: bytes, after: bytes) -> list[str]:
    lines = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [line for line in lines if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_a_draft_with_errors_is_saved_and_only_publishing_is_refused(drafts, versions):
    draft = drafts.start("nurse@clinic.example", "new menu wording")
    assert draft.based_on == 1 and draft.revision == 1 and draft.files == shipped()
    files, line = broken(shipped())
    saved = drafts.save_file(draft.id, draft.revision, "main.yaml", files["main.yaml"], "nurse@clinic.example")
    assert saved.revision == 2 and drafts.get(draft.id).files["main.yaml"] == files["main.yaml"]  # kept as typed
    (error,) = [p for p in saved.problems if p.severity == "error"]
    assert (error.file, error.line) == ("main.yaml", line) and saved.row.errors == 1
    with pytest.raises(PublishRefused) as refused:
        drafts.publish(draft.id, saved.revision, "nurse@clinic.example", "try")
    assert [str(p) for p in refused.value.problems] == [str(error)]
    assert versions.live().number == 1
    fixed = drafts.save_file(draft.id, saved.revision, "main.yaml", shipped()["main.yaml"], "nurse@clinic.example")
    assert fixed.row.errors == 0


def test_a_save_from_an_older_revision_is_refused_and_overwrites_nothing(drafts):
    draft = drafts.start("a@clinic.example")
    first = drafts.save_fields(draft.id, draft.revision, {SAY_EN: "Welcome to the main menu."}, "a@clinic.example")
    with pytest.raises(StaleDraft) as stale:
        drafts.save_fields(draft.id, draft.revision, {SAY_EN: "Main menu, here."}, "b@clinic.example")
    assert stale.value.draft.saved_by == "a@clinic.example" and stale.value.draft.revision == first.revision
    assert "a@clinic.example" in str(stale.value) and "nothing was saved" in str(stale.value)
    assert text_of(drafts.get(draft.id).files, "main.yaml", SAY_EN) == "Welcome to the main menu."


def test_an_edit_field_by_field_changes_that_line_only(drafts):
    draft = drafts.start("nurse@clinic.example")
    saved = drafts.save_fields(draft.id, draft.revision, {SAY_ES: "El menú principal."}, "nurse@clinic.example")
    assert text_of(saved.files, "main.yaml", SAY_ES) == "El menú principal."
    (removed, added) = changed_lines(shipped()["main.yaml"], saved.files["main.yaml"])
    assert removed.startswith("-      es: ") and added == "+      es: El menú principal."
    assert {n for n in shipped() if saved.files[n] != shipped()[n]} == {"main.yaml"}


def test_nodes_are_added_and_removed_node_by_node(drafts):
    draft = drafts.start("nurse@clinic.example")
    hours = {"type": "page", "title": {"en": "Clinic hours", "es": "Horario"},
             "say": {"en": "We are open on weekdays.", "es": "Abrimos entre semana."}}
    added = drafts.set_node(draft.id, draft.revision, "extra-hours", hours, "nurse@clinic.example", file="main.yaml")
    assert added.row.errors == 0 and added.row.warnings >= 1  # a node no menu leads to: a warning
    assert any("extra-hours" in p.message for p in added.problems if p.severity == "warning")
    assert drafts.diff(draft.id).summary()["added"] == ["extra-hours"]
    removed = drafts.set_node(draft.id, added.revision, "extra-hours", None, "nurse@clinic.example")
    assert removed.files == shipped()


def test_each_language_shows_how_complete_it_is(drafts):
    draft = drafts.start("nurse@clinic.example")
    full = drafts.completeness(draft.id)
    assert set(full) == {"en", "es"} and full["es"].percent == 100 and full["es"].missing == ()
    saved = drafts.save_fields(draft.id, draft.revision, {SAY_ES: None}, "nurse@clinic.example")
    missing = drafts.completeness(draft.id)
    assert missing["es"].missing == ("node 'main' say",) and missing["es"].done == full["es"].total - 1
    assert missing["en"].percent == 100
    assert any(p.severity == "error" and "'es'" in p.message for p in saved.problems)


def test_a_stale_draft_is_brought_up_to_date_and_both_changes_are_published(drafts, versions):
    draft = drafts.start("nurse@clinic.example")
    mine = drafts.save_fields(draft.id, draft.revision, {SAY_ES: "El menú principal."}, "nurse@clinic.example")
    versions.publish(with_text(shipped(), "main.yaml", SAY_EN, "The main menu."), "manager@clinic.example", "EN")
    published = drafts.publish(draft.id, mine.revision, "nurse@clinic.example", "Spanish menu")
    assert published.new and published.version.number == 3 and published.merged == 1
    live = versions.files(3)
    assert text_of(live, "main.yaml", SAY_EN) == "The main menu."  # theirs, kept
    assert text_of(live, "main.yaml", SAY_ES) == "El menú principal."  # mine, added
    assert {n for n in live if live[n] != shipped()[n]} == {"main.yaml"}
    with pytest.raises(DraftClosed, match="published as version 3"):
        drafts.save_fields(draft.id, drafts.get(draft.id).revision, {SAY_EN: "x"}, "nurse@clinic.example")


def test_a_file_only_the_live_version_changed_is_taken_byte_for_byte(drafts, versions):
    draft = drafts.start("nurse@clinic.example")
    mine = drafts.save_fields(draft.id, draft.revision, {SAY_ES: "El menú principal."}, "nurse@clinic.example")
    theirs = shipped()
    theirs["prevention.yaml"] = theirs["prevention.yaml"] + b"# reviewed by the clinic manager\n"
    versions.publish(theirs, "manager@clinic.example", "comment")
    merged = drafts.bring_up_to_date(draft.id, mine.revision, "nurse@clinic.example")
    assert merged.based_on == 2 and not merged.conflicts
    assert merged.files["prevention.yaml"] == theirs["prevention.yaml"]
    assert merged.files["main.yaml"] == mine.files["main.yaml"]


def test_a_field_changed_on_both_sides_is_a_conflict_until_chosen(drafts, versions):
    draft = drafts.start("nurse@clinic.example")
    mine = drafts.save_fields(draft.id, draft.revision, {SAY_ES: "Menú de la nurse."}, "nurse@clinic.example")
    versions.publish(with_text(shipped(), "main.yaml", SAY_ES, "Menú del manager."), "manager@clinic.example", "ES")
    with pytest.raises(PublishRefused) as refused:
        drafts.publish(draft.id, mine.revision, "nurse@clinic.example", "mine")
    (conflict,) = refused.value.conflicts
    assert (conflict.label, conflict.mine, conflict.theirs) == ("node 'main' say [es]", "Menú de la nurse.",
                                                                "Menú del manager.")
    assert conflict.base == text_of(shipped(), "main.yaml", SAY_ES)
    assert versions.live().number == 2  # nothing published, nothing overwritten
    waiting = drafts.get(draft.id)
    assert waiting.based_on == 2 and text_of(waiting.files, "main.yaml", SAY_ES) == "Menú de la nurse."

    # Another publish meanwhile does not make the conflict disappear.
    versions.publish(with_text(versions.files(2), "main.yaml", TITLE_EN, "Main"), "manager@clinic.example", "t")
    again = drafts.bring_up_to_date(draft.id, waiting.revision, "nurse@clinic.example")
    assert [c.label for c in again.conflicts] == ["node 'main' say [es]"]

    chosen = drafts.resolve(draft.id, again.revision, 0, "theirs", "nurse@clinic.example")
    assert not chosen.conflicts and text_of(chosen.files, "main.yaml", SAY_ES) == "Menú del manager."
    published = drafts.publish(draft.id, chosen.revision, "nurse@clinic.example", "settled")
    live = versions.files(published.version.number)
    assert text_of(live, "main.yaml", SAY_ES) == "Menú del manager." and text_of(live, "main.yaml", TITLE_EN) == "Main"
    assert published.version.changes["changed"] == []  # the same texts as before it: only the file's quoting


def test_keeping_my_side_of_a_conflict_publishes_it(drafts, versions):
    draft = drafts.start("nurse@clinic.example")
    mine = drafts.save_fields(draft.id, draft.revision, {SAY_ES: "Menú de la nurse."}, "nurse@clinic.example")
    versions.publish(with_text(shipped(), "main.yaml", SAY_ES, "Menú del manager."), "manager@clinic.example", "ES")
    merged = drafts.bring_up_to_date(draft.id, mine.revision, "nurse@clinic.example")
    kept = drafts.resolve(draft.id, merged.revision, 0, "mine", "nurse@clinic.example")
    published = drafts.publish(draft.id, kept.revision, "nurse@clinic.example", "mine after all")
    assert text_of(versions.files(published.version.number), "main.yaml", SAY_ES) == "Menú de la nurse."
    assert published.version.draft_id == draft.id and drafts.get(draft.id).row.published_as == 3


def test_publishing_from_an_older_revision_is_refused(drafts, versions):
    draft = drafts.start("a@clinic.example")
    drafts.save_fields(draft.id, draft.revision, {SAY_EN: "Edited by a."}, "a@clinic.example")
    with pytest.raises(StaleDraft):
        drafts.publish(draft.id, draft.revision, "b@clinic.example", "what b saw")
    assert versions.live().number == 1


def test_a_discarded_draft_can_no_longer_change(drafts):
    draft = drafts.start("a@clinic.example")
    drafts.discard(draft.id, draft.revision, "a@clinic.example")
    assert drafts.open() == []
    with pytest.raises(DraftClosed, match="discarded"):
        drafts.save_file(draft.id, draft.revision + 1, "main.yaml", b"", "a@clinic.example")
