"""`ivr flows ...`: the deployer's way to the flow versions in the database (the console is the
staff's): publish a folder or a draft, history, diff, rollback, export, and a draft from files.

These run inside the app (the line's database and settings), made even when the live version
cannot be served by this code, so that a release can publish the files that fix it."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy.exc import DBAPIError

from ..flow.loader import FILE_SUFFIXES, read_folder
from ..services import services
from ..storage.flow_versions import DraftClosed, NotFound, StaleDraft
from ..versions.diff import one_line, render
from ..versions.merge import MergeError
from ..versions.publishing import BASE_MARK, OlderContent, Published, PublishRefused
from ..versions.validation import located
from .output import clinic_zone, count, when

BY = "cli"  # who the command line publishes as


@contextmanager
def line_errors(what: str):
    """Refusals and an unreachable database as a clear message and exit 1, never a traceback."""
    try:
        yield
    except DBAPIError as error:  # its kind only: the message may hold the URL
        raise click.ClickException(f"the database cannot be reached ({type(error.orig or error).__name__}): "
                                   f"{what}") from None
    except (NotFound, StaleDraft, DraftClosed, MergeError) as error:
        raise click.ClickException(str(error)) from None


def stored_files(version: int | None, draft: int | None) -> tuple[dict[str, bytes], str]:
    """The files of a version or a draft in the line's database, and how to name them."""
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    with app.app_context(), line_errors("nothing was read"):
        if draft is not None:
            return services().flow_drafts.get(draft).files, f"draft {draft}"
        return services().versions.files(version), f"version {version}"


def _files_of(spec: str) -> tuple[dict[str, bytes], str]:
    """A version number, `live`, or a folder of flow files."""
    if spec.isdigit():
        return services().versions.files(int(spec)), f"version {spec}"
    if spec == "live":
        live = services().versions.live()
        if live is None:
            raise click.ClickException("no version is published yet")
        return services().versions.files(live.number), f"version {live.number} (live)"
    if Path(spec).exists():
        return read_folder(spec)[0], spec
    raise click.BadParameter(f"'{spec}' is neither a version number, `live`, nor a folder of flow files")


def _show_refusal(refused: PublishRefused, where: str = "") -> None:
    for problem in located(refused.problems, where):
        click.echo(problem.labelled())
        if problem.hint:
            click.echo(f"    hint: {problem.hint}")
    for conflict in refused.conflicts:
        click.echo(f"{conflict.file}: conflict: {conflict.label}: changed here to {conflict.mine!r}, "
                   f"and in the live version to {conflict.theirs!r}")


def _show_published(published: Published, what: str) -> None:
    version = published.version
    if not published.new:
        click.echo(f"{what} are the live version {version.number}'s already: no new version")
        return
    warnings = published.validation.warnings
    for problem in warnings:
        click.echo(problem.labelled())
    merged = ", brought up to date with what was published meanwhile" if published.merged else ""
    click.echo(f"Published version {version.number} ({count(len(warnings), 'warning')}{merged}); "
               "every server serves it within seconds")


@click.group("flows")
def flows() -> None:
    """The flow's versions in the database: publish, history, diff, roll back, export."""


@flows.command("publish")
@with_appcontext
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--draft", "draft_id", type=int, help="Publish this draft instead of a folder.")
@click.option("--note", required=True, help="Why: shown in the history.")
@click.option("--strict", is_flag=True, help="Refuse on warnings too.")
@line_errors("nothing was published")
def publish(folder: str | None, draft_id: int | None, note: str, strict: bool) -> None:
    """Publish the flow files in FOLDER (or a draft) as the new live version.

    Errors are printed as file:line: message and nothing is published (exit 1). The same files
    as the live version make no new version; an older version's files are refused (roll back
    on purpose instead), so a release that publishes flows/ never undoes a newer change."""
    if (folder is None) == (draft_id is None):
        raise click.UsageError("give a FOLDER or --draft N")
    try:
        if draft_id is not None:
            draft = services().flow_drafts.get(draft_id)
            published = services().flow_drafts.publish(draft_id, draft.revision, BY, note, strict=strict)
            _show_published(published, f"draft {draft_id}'s files")
        else:
            published = services().versions.publish_folder(folder, BY, note, strict=strict, refuse_older=True)
            _show_published(published, f"the files in {folder}")
    except OlderContent as older:
        click.echo(str(older))  # not a failure: a release step keeps going
    except PublishRefused as refused:
        _show_refusal(refused, folder or "")
        raise click.ClickException(str(refused)) from None


@flows.command("draft")
@with_appcontext
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--note", default="", help="What the draft is for.")
@line_errors("no draft was made")
def draft(folder: str, note: str) -> None:
    """Save the files in FOLDER as a new draft based on the live version (errors and all): try it
    with `ivr call --draft N`, publish it with `ivr flows publish --draft N`."""
    made = services().flow_drafts.start(BY, note, files=read_folder(folder)[0])
    for problem in located(made.problems, folder):
        click.echo(problem.labelled())
    click.echo(f"Draft {made.id}, based on version {made.based_on}: {count(made.row.errors, 'error')}, "
               f"{count(made.row.warnings, 'warning')}")


@flows.command("history")
@with_appcontext
@click.option("--limit", type=int, default=None, help="Only the newest N versions.")
@line_errors("no history shown")
def history(limit: int | None) -> None:
    """Every published version, newest first: number, when (clinic time), who, note, what changed."""
    zone = clinic_zone()
    versions = services().versions.history(limit)
    if not versions:
        click.echo("No version is published yet.")
        return
    for i, version in enumerate(versions):
        click.echo(f"{version.number:>4}  {when(version.published_at, zone)}  {version.published_by}  "
                   f"{version.note!r}  {one_line(version.changes)}{'  <- live' if i == 0 else ''}")


@flows.command("diff")
@with_appcontext
@click.argument("before")
@click.argument("after")
@line_errors("no diff shown")
def diff(before: str, after: str) -> None:
    """What changed from BEFORE to AFTER, node by node and language by language. Each is a version
    number, `live`, or a folder of flow files."""
    (old, old_name), (new, new_name) = _files_of(before), _files_of(after)
    click.echo(render(services().versions.diff(old, new), old_name, new_name), nl=False)


@flows.command("rollback")
@with_appcontext
@click.argument("number", type=int)
@click.option("--note", required=True, help="Why: shown in the history.")
@line_errors("nothing was published")
def rollback(number: int, note: str) -> None:
    """Publish version NUMBER's files again, as a new version (history is never rewritten)."""
    try:
        published = services().versions.rollback(number, BY, note)
    except PublishRefused as refused:
        _show_refusal(refused)
        raise click.ClickException(f"version {number} cannot be published again: {refused}") from None
    _show_published(published, f"version {number}'s files")


@flows.command("export")
@with_appcontext
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--version", "number", type=int, default=None, help="This version (default: the live one).")
@line_errors("nothing was exported")
def export(folder: str, number: int | None) -> None:
    """Write a version's files into FOLDER byte for byte (to keep them in git). Flow files already
    in FOLDER that the version does not have are removed, so FOLDER is the version exactly; the
    version's number goes in FOLDER/.based-on, so that publishing FOLDER later merges its changes
    with whatever was published meanwhile instead of undoing it."""
    if number is None:
        live = services().versions.live()
        if live is None:
            raise click.ClickException("no version is published yet")
        number = live.number
    files = services().versions.files(number)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        partial = target / f".{name}.exporting"
        partial.write_bytes(content)
        partial.replace(target / name)  # whole, never half a file
    (target / BASE_MARK).write_text(f"{number}\n", encoding="utf-8")  # what a later publish merges against
    stale = [p for p in target.iterdir() if p.suffix in FILE_SUFFIXES and p.name not in files]
    for path in stale:
        path.unlink()
    click.echo(f"Wrote version {number}'s {count(len(files), 'file')} to {folder}"
               + (f"; removed {', '.join(p.name for p in stale)}" if stale else ""))
