"""Publishing flow versions in the database, on SQLite and PostgreSQL: whole versions or none,
the same files make no new version, a version with errors is refused with file:line, rollback
publishes an old version again, and publishes at the same moment give whole versions in turn."""
import shutil
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from ivr.flow.loader import content_hash
from ivr.storage.db import Database
from ivr.storage.flow_versions import FlowVersionStore
from ivr.storage.tables import flow_version_files, flow_versions
from ivr.versions.diff import compare, one_line, render
from ivr.versions.publishing import FlowVersions, OlderContent, PublishRefused

from versions_helpers import Clock, broken, shipped, text_of, with_text

SAY_ES = ("nodes", "main", "say", "es")


@pytest.fixture
def versions(db):
    return FlowVersions(FlowVersionStore(db), Clock())


def test_a_published_version_keeps_its_files_byte_for_byte(versions):
    files = shipped()
    first = versions.publish(files, "cli", "the shipped files")
    assert first.new and first.version.number == 1 and first.version.based_on is None
    assert versions.files(1) == files
    assert versions.live().number == 1 and versions.live().content_hash == content_hash(files)
    assert versions.live().changes == {"first": True}
    assert versions.store.live() == (1, versions.live().published_at)


def test_the_same_files_make_no_new_version(versions):
    files = shipped()
    versions.publish(files, "cli", "first")
    again = versions.publish(dict(reversed(list(files.items()))), "cli", "again")  # order does not matter
    assert not again.new and again.version.number == 1
    assert [v.number for v in versions.history()] == [1]


def test_a_version_with_errors_is_refused_with_file_and_line_and_nothing_is_published(versions, db):
    versions.publish(shipped(), "cli", "first")
    files, line = broken(shipped())
    with pytest.raises(PublishRefused) as refused:
        versions.publish(files, "cli", "broken")
    (problem,) = refused.value.problems
    assert (problem.file, problem.line, problem.severity) == ("main.yaml", line, "error")
    assert "is not defined" in problem.message
    assert str(refused.value) == "1 error: nothing published"
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(flow_versions)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(flow_version_files)).scalar() == len(files)


def test_warnings_are_recorded_and_refuse_only_when_strict(versions):
    versions.publish(shipped(), "cli", "first")
    curly = with_text(shipped(), "main.yaml", ("nodes", "main", "say", "en"), "Main menu\u2019s here.")
    with pytest.raises(PublishRefused) as refused:
        versions.publish(curly, "cli", "curly quote", strict=True)
    assert refused.value.problems and all(p.severity == "warning" for p in refused.value.problems)
    published = versions.publish(curly, "cli", "curly quote")
    assert published.new and published.version.warnings == len(refused.value.problems)
    stored = published.version.problems
    assert {(p["file"], p["severity"]) for p in stored} == {("main.yaml", "warning")}
    assert any("\u2019" in p["message"] or "GSM" in p["message"] for p in stored)


def test_rollback_publishes_an_old_version_again_and_history_is_never_rewritten(versions):
    clock = versions.clock
    files = shipped()
    versions.publish(files, "cli", "first")
    clock.tick()
    edited = with_text(files, "main.yaml", SAY_ES, "El menú principal.")
    versions.publish(edited, "nurse@clinic.example", "Spanish menu")
    before = versions.history()
    clock.tick()
    back = versions.rollback(1, "cli", "undo the Spanish menu")
    assert back.new and back.version.number == 3 and back.version.based_on == 1
    assert versions.files(3) == files and versions.live().number == 3
    assert versions.history()[1:] == before  # the earlier versions exactly as they were
    assert back.version.changes["restores"] == 1 and back.version.changes["changed"] == ["main"]
    assert one_line(back.version.changes) == "back to version 1: changed main (es)"


def test_files_that_are_an_older_version_are_refused_only_when_asked(versions):
    files = shipped()
    versions.publish(files, "cli", "first")
    versions.publish(with_text(files, "main.yaml", SAY_ES, "Otro menú."), "cli", "second")
    with pytest.raises(OlderContent) as older:
        versions.publish(files, "cli", "release", refuse_older=True)
    assert older.value.number == 1 and "ivr flows rollback 1" in str(older.value)
    assert versions.live().number == 2
    assert versions.publish(files, "cli", "on purpose").version.number == 3


def test_a_bad_file_name_is_refused(versions):
    with pytest.raises(PublishRefused, match="'../main.yaml' is not a flow file name"):
        versions.publish({"../main.yaml": shipped()["main.yaml"]}, "cli", "sneaky")


def test_publishes_at_the_same_moment_give_whole_versions_one_after_the_other(db):
    """Eight publishers, each on its own connection pool, start together; every one gets a
    version of its own, numbered 1..8 with no gap, each holding exactly its publisher's files, and
    each version's summary compares it with the one just before it."""
    count = 8
    texts = [f"Menú número {i}." for i in range(count)]
    contents = [with_text(shipped(), "main.yaml", SAY_ES, text) for text in texts]
    barrier, results, errors = threading.Barrier(count), [None] * count, []

    def publish(i):
        versions = FlowVersions(FlowVersionStore(Database(db.url)), Clock())
        barrier.wait()
        try:
            results[i] = versions.publish(contents[i], f"editor{i}", f"publish {i}").version.number
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)
        finally:
            versions.store.db.dispose()

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(results) == list(range(1, count + 1))
    versions = FlowVersions(FlowVersionStore(db), Clock())
    for i, number in enumerate(results):
        assert versions.files(number) == contents[i]  # whole: exactly one publisher's files
        row = versions.version(number)
        assert row.published_by == f"editor{i}" and row.based_on == (number - 1 or None)
        if number > 1:
            assert row.changes["changed"] == ["main"] and row.changes["languages"] == ["es"]


def test_publishing_while_the_database_is_unreachable_fails_and_leaves_nothing_half_done(tmp_path):
    folder = tmp_path / "db"
    folder.mkdir()
    db = Database(f"sqlite:///{folder / 'ivr.sqlite3'}", busy_timeout_ms=200)
    from ivr.storage import migrate

    migrate.upgrade(db)
    versions = FlowVersions(FlowVersionStore(db), Clock())
    versions.publish(shipped(), "cli", "first")
    db.engine.dispose()
    shutil.move(folder, tmp_path / "away")
    with pytest.raises(OperationalError):
        versions.publish(with_text(shipped(), "main.yaml", SAY_ES, "Otro."), "cli", "while down")
    db.engine.dispose()
    shutil.move(tmp_path / "away", folder)
    assert [v.number for v in versions.history()] == [1] and versions.files(1) == shipped()


def test_a_diff_shows_each_node_and_language_before_and_after():
    files = shipped()
    edited = with_text(files, "main.yaml", SAY_ES, "El menú principal.")
    main = edited["main.yaml"].decode()
    edited["main.yaml"] = main.replace("goto: prevention\n", "goto: warning-signs\n", 1).encode()
    del edited["prevention.yaml"]
    diff = compare(files, edited)
    old_say = text_of(files, "main.yaml", SAY_ES)
    text = render(diff, "version 1", "flows/")
    assert text.startswith("--- version 1\n+++ flows/\nnode 'main' (main.yaml): changed\n")
    assert f"  say [es]\n    - {old_say}\n    + El menú principal.\n" in text
    key = next(o["key"] for o in _options(files) if o["goto"] == "prevention")
    assert f"  option {key} goto\n    - prevention\n    + warning-signs\n" in text
    assert "node 'prevention' (prevention.yaml): removed\n" in text
    assert diff.summary() == {"added": [], "removed": ["prevention"], "changed": ["main"], "other": [],
                              "languages": ["en", "es"]}
    assert render(compare(files, files), "a", "b") == "--- a\n+++ b\nno changes\n"


def test_a_diff_does_not_call_the_nodes_of_an_unreadable_file_removed():
    files = shipped()
    bad = {**files, "main.yaml": b"nodes:\n  main: [unclosed\n"}
    diff = compare(files, bad)
    assert not any(change.file == "main.yaml" for change in diff.items)
    assert list(diff.unreadable) == ["after: main.yaml"]


def _options(files):
    from ivr.flow.yaml_lines import load_yaml

    return load_yaml(files["main.yaml"].decode())["nodes"]["main"]["options"]
