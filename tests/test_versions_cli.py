"""`ivr flows ...` as a deployer uses it, and `ivr validate`/`call`/`text`/`graph` on a version or a
draft: through the app's own CLI runner, on the app's database (SQLite, or PostgreSQL with
IVR_TEST_DATABASE=postgresql)."""
import re
import shutil

import pytest

from ivr.app import create_app
from ivr.cli import main

from conftest import make_config
from versions_helpers import broken, shipped, text_of, with_text

SAY_ES = ("nodes", "main", "say", "es")
EMERGENCY_EN = ("phrases", "call_emergency", "en")


@pytest.fixture
def app(tmp_path):
    return create_app(make_config(tmp_path, CLINIC_TIMEZONE="America/Chicago"))


def run(app, *args, ok=True):
    result = app.test_cli_runner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def folder(tmp_path, name, files):
    target = tmp_path / name
    target.mkdir()
    for file, content in files.items():
        (target / file).write_bytes(content)
    return target


def test_publish_prints_each_error_as_file_and_line_and_publishes_nothing(app, tmp_path):
    files, line = broken(shipped())
    path = folder(tmp_path, "broken", files)
    output = run(app, "flows", "publish", path, "--note", "typo", ok=False)
    first, hint, error = output.splitlines()
    assert first.startswith(f"{path / 'main.yaml'}:{line}: error: ") and "is not defined" in first
    assert hint.startswith("    hint: ")
    assert error == "Error: 1 error: nothing published"
    assert app.extensions["ivr"].versions.live().number == 1


def test_publish_history_diff_rollback(app, tmp_path):
    edited = with_text(shipped(), "main.yaml", SAY_ES, "El menú principal.")
    path = folder(tmp_path, "edited", edited)
    assert run(app, "flows", "publish", path, "--note", "Spanish menu").splitlines()[-1] == (
        "Published version 2 (0 warnings); every server serves it within seconds")
    assert run(app, "flows", "publish", path, "--note", "again") == (
        f"the files in {path} are the live version 2's already: no new version\n")

    diff = run(app, "flows", "diff", "1", "2")
    old = text_of(shipped(), "main.yaml", SAY_ES)
    assert diff == (f"--- version 1\n+++ version 2\nnode 'main' (main.yaml): changed\n  say [es]\n    - {old}\n"
                    "    + El menú principal.\n")
    assert run(app, "flows", "diff", "2", path) == f"--- version 2\n+++ {path}\nno changes\n"

    assert "Published version 3" in run(app, "flows", "rollback", "1", "--note", "back to the shipped menu")
    history = run(app, "flows", "history").splitlines()
    row = re.compile(r"^ +(\d+)  \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d)  (\S+)  '(.*)'  (.*?)(  <- live)?$")
    parsed = [row.match(line).groups() for line in history]
    assert [(n, who, note, what, live) for n, _, who, note, what, live in parsed] == [
        ("3", "cli", "back to the shipped menu", "back to version 1: changed main (es)", "  <- live"),
        ("2", "cli", "Spanish menu", "changed main (es)", None),
        ("1", "files", f"the flow files shipped in {app.config['FLOWS_DIR']}", "first version", None)]
    published = app.extensions["ivr"].versions.version(3).published_at
    from zoneinfo import ZoneInfo
    assert parsed[0][1] == f"{published.astimezone(ZoneInfo('America/Chicago')):%Y-%m-%d %H:%M}"  # clinic time


def test_publishing_an_older_version_s_files_says_so_and_publishes_nothing(app, tmp_path):
    path = folder(tmp_path, "shipped", shipped())
    run(app, "flows", "publish", folder(tmp_path, "edited", with_text(shipped(), "main.yaml", SAY_ES, "Otro.")),
        "--note", "edit")
    output = run(app, "flows", "publish", path, "--note", "release")  # a release step goes on
    assert output.startswith("these files are version 1's, and version 2 is live")
    assert app.extensions["ivr"].versions.live().number == 2


def test_export_is_byte_for_byte_and_publishing_it_again_makes_no_new_version(app, tmp_path):
    edited = with_text(shipped(), "main.yaml", SAY_ES, "El menú principal.")
    run(app, "flows", "publish", folder(tmp_path, "edited", edited), "--note", "edit")
    out = tmp_path / "git" / "flows"
    out.mkdir(parents=True)
    (out / "old-extra.yaml").write_text("nodes: {}\n")  # not in the version: removed
    assert run(app, "flows", "export", out).startswith(f"Wrote version 2's {len(edited)} files")
    assert yaml_files(out) == edited and (out / ".based-on").read_text() == "2\n"
    assert "no new version" in run(app, "flows", "publish", out, "--note", "round trip")
    run(app, "flows", "export", tmp_path / "v1", "--version", "1")
    assert yaml_files(tmp_path / "v1") == shipped()


def test_unknown_versions_and_bad_arguments_are_clear_messages(app, tmp_path):
    assert "there is no version 9" in run(app, "flows", "export", tmp_path / "x", "--version", "9", ok=False)
    assert "there is no version 9" in run(app, "flows", "rollback", "9", "--note", "x", ok=False)
    assert "neither a version number" in run(app, "flows", "diff", "1", "nowhere", ok=False)
    assert "give a FOLDER or --draft N" in run(app, "flows", "publish", "--note", "x", ok=False)


def test_validate_graph_call_and_text_take_a_version_or_a_draft(app, tmp_path):
    flows = app.extensions["ivr"].versions
    edited = with_text(shipped(), "line.yaml", EMERGENCY_EN, "Hang up now and call 9 1 1.")
    edited_folder = folder(tmp_path, "edited", edited)
    run(app, "flows", "publish", edited_folder, "--note", "emergency")
    assert run(app, "validate", "--strict", "--version", "2").splitlines()[-1].startswith(
        f"version 2: 0 errors, 0 warnings in {len(edited)} files")
    called = run(app, "call", "--version", "2", "--script", _script(tmp_path, ""))
    assert called.splitlines()[0].startswith("Calling the line (version 2, version ")
    assert "  line: Hang up now and call 9 1 1." in called
    assert "  line: Hang up now and call 9 1 1." not in run(app, "call", "--version", "1", "--script",
                                                              _script(tmp_path, ""))
    assert run(app, "graph", "--version", "2") == run(app, "graph", "--flows", edited_folder)

    files, line = broken(shipped())
    made = run(app, "flows", "draft", folder(tmp_path, "draft", files), "--note", "try").splitlines()
    assert made[-1] == "Draft 1, based on version 2: 1 error, 0 warnings"
    assert made[0].startswith(f"{tmp_path / 'draft' / 'main.yaml'}:{line}: error: ")
    refused = run(app, "validate", "--draft", "1", ok=False).splitlines()
    assert refused[0].startswith(f"main.yaml:{line}: error: ") and refused[-1].startswith("draft 1: 1 error")
    assert "draft 1 has errors" in run(app, "text", "--draft", "1", ok=False)
    assert "Error: 1 error: nothing published" in run(app, "flows", "publish", "--draft", "1", "--note", "x", ok=False)
    assert flows.live().number == 2


def test_a_draft_tried_and_published_from_the_command_line(app, tmp_path):
    edited = with_text(shipped(), "line.yaml", EMERGENCY_EN, "Hang up now and call 9 1 1.")
    run(app, "flows", "draft", folder(tmp_path, "draft", edited), "--note", "emergency wording")
    assert "  line: Hang up now and call 9 1 1." in run(app, "call", "--draft", "1", "--script", _script(tmp_path, ""))
    assert app.extensions["ivr"].versions.live().number == 1  # trying it published nothing
    assert "Published version 2" in run(app, "flows", "publish", "--draft", "1", "--note", "emergency wording")
    assert "draft 1 was published as version 2" in run(app, "flows", "publish", "--draft", "1", "--note", "x",
                                                        ok=False)


def test_commands_say_so_when_the_database_cannot_be_reached(tmp_path):
    (tmp_path / "db").mkdir()
    app = create_app(make_config(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db' / 'ivr.sqlite3'}",
                                 DATABASE_BUSY_TIMEOUT_MS=200))
    app.extensions["ivr"].db.engine.dispose()
    shutil.move(tmp_path / "db", tmp_path / "away")
    path = folder(tmp_path, "edited", with_text(shipped(), "main.yaml", SAY_ES, "Otro."))
    output = run(app, "flows", "publish", path, "--note", "while down", ok=False)
    assert output == "Error: the database cannot be reached (OperationalError): nothing was published\n"
    assert "cannot be reached" in run(app, "flows", "history", ok=False)


def yaml_files(path):
    return {p.name: p.read_bytes() for p in path.iterdir() if p.suffix == ".yaml"}


def _script(tmp_path, text: str):
    path = tmp_path / "inputs.txt"
    path.write_text(text)
    return path


def test_an_exported_folder_published_later_keeps_what_was_published_meanwhile(app, tmp_path):
    """The deployer's git copy is version 1; staff publish a Spanish change; the deployer's English
    change in the copy is published with it, not over it. The same field changed on both: refused."""
    copy = tmp_path / "git" / "flows"
    run(app, "flows", "export", copy)
    staff = with_text(shipped(), "main.yaml", SAY_ES, "El menú principal.")
    app.extensions["ivr"].versions.publish(staff, "nurse@clinic.example", "Spanish menu")
    mine = with_text(yaml_files(copy), "line.yaml", EMERGENCY_EN, "Hang up now and call 9 1 1.")
    (copy / "line.yaml").write_bytes(mine["line.yaml"])
    assert "Published version 3" in run(app, "flows", "publish", copy, "--note", "release")
    live = app.extensions["ivr"].versions.files(3)
    assert text_of(live, "main.yaml", SAY_ES) == "El menú principal."
    assert text_of(live, "line.yaml", EMERGENCY_EN) == "Hang up now and call 9 1 1."

    (copy / "main.yaml").write_bytes(with_text(yaml_files(copy), "main.yaml", SAY_ES, "Otro menú.")["main.yaml"])
    output = run(app, "flows", "publish", copy, "--note", "release 2", ok=False)
    assert ("main.yaml: conflict: node 'main' say [es]: changed here to 'Otro menú.', and in the live version "
            "to 'El menú principal.'") in output
    assert "conflict with version 3, published since version 1: nothing published" in output
    assert app.extensions["ivr"].versions.live().number == 3
