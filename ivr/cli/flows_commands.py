"""`ivr validate`, `ivr call`, `ivr text` and `ivr graph`: check, try and picture a flow edit.

These need no running line: they read flow files, and a trial runs its own app on a throwaway
database. With --version N or --draft N they read that version's or draft's files from the line's
database (through the app the command line makes)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..app import create_app
from ..config import PROJECT_ROOT
from ..flow import FlowError, load_flow
from ..flow import graph as drawing
from ..lint import lint
from ..simulate.trial import InputError, Trial, trial_app
from .versions_commands import stored_files

FORMATS = ("mermaid", "dot", "svg", "png")


def default_flows() -> str:
    """FLOWS_DIR, or the project's flows/; shown relative to here when it is below here."""
    path = Path(os.environ.get("FLOWS_DIR") or PROJECT_ROOT / "flows").resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


flows_option = click.option("--flows", "flows", default=default_flows, show_default="FLOWS_DIR or flows/",
                            type=click.Path(exists=True), help="The flow files to use.")


def stored_options(command):
    """--version N and --draft N: the flow files of a version or a draft in the line's database."""
    command = click.option("--draft", "draft", type=int, default=None,
                           help="A draft in the line's database instead of files.")(command)
    return click.option("--version", "version", type=int, default=None,
                        help="A flow version in the line's database instead of files.")(command)


def _chosen(flows: str, version: int | None, draft: int | None):
    """(the files to use, how to name them): a folder, or a version's or a draft's files."""
    if version is not None and draft is not None:
        raise click.UsageError("give --version or --draft, not both")
    if version is None and draft is None:
        return flows, flows
    return stored_files(version, draft)


def _load(flows, label: str | None = None):
    try:
        return load_flow(flows)
    except FlowError as error:
        label = label or flows
        raise click.ClickException(f"{label} has errors (see `ivr validate {label}`):\n{error}") from None


@click.command("validate")
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--strict", is_flag=True, help="Fail on warnings too (CI does).")
@stored_options
def validate(path: str | None, strict: bool, version: int | None, draft: int | None) -> None:
    """Check flow files (a folder, or a version or draft with --version N, --draft N): errors stop
    the line, warnings are worth a look.

    Each problem is printed as file:line: error|warning: message, with a hint.
    Exits 1 on errors, and with --strict on warnings too.
    """
    source, label = _chosen(path or default_flows(), version, draft)
    report = lint(source, label=label)
    for finding in report.findings:
        click.echo(finding.labelled())
        if finding.hint:
            click.echo(f"    hint: {finding.hint}")
    for line in report.times:  # seconds to each answer on a first call, when the flow loads
        click.echo(line)
    failed = bool(report.errors) or (strict and bool(report.warnings))
    click.echo(report.summary() + (" (--strict: warnings fail)" if strict and report.warnings else ""))
    if failed:
        sys.exit(1)


def _inputs(script: str | None):
    """Typed lines: from a file, from piped input, or from the keyboard with a prompt."""
    if script:
        lines = Path(script).read_text(encoding="utf-8").splitlines()
        yield from (line for line in lines if not line.lstrip().startswith("#"))
        return
    if not sys.stdin.isatty():
        yield from (line.rstrip("\n") for line in sys.stdin)
        return
    while True:
        try:
            yield input("you> ")
        except EOFError:
            click.echo()
            return


def _show(reply) -> None:
    for sentence in reply.sentences:
        first, *rest = sentence.splitlines() or [""]
        click.echo(f"  line: {first}")
        for line in rest:
            click.echo(f"        {line}")
    notes = {"dial": "(a transfer is ringing: dial completed, dial busy, dial no-answer or dial failed)",
             "hangup": "(the line hung up)", "none": "(no reply)"}
    if reply.waiting in notes:
        click.echo(f"  {notes[reply.waiting]}")


def _try(channel: str, flows, label: str, lang: str | None, script: str | None, record_to: str | None) -> None:
    flow = _load(flows, label)
    if lang and lang not in flow.languages:
        raise click.BadParameter(f"'{lang}' is not one of the languages ({', '.join(flow.languages)})",
                                 param_hint="--lang")
    typed_by_hand = not script and sys.stdin.isatty()
    with trial_app(flows, create_app) as (app, signer):
        trial = Trial(channel, signer)
        how = ("Type a key, say WORDS, or an empty line for silence; Ctrl-D hangs up."
               if channel == "voice" else "Type a message; Ctrl-D ends.")
        click.echo(f"{'Calling' if channel == 'voice' else 'Texting'} the line ({label}, version "
                   f"{flow.version}). {how if typed_by_hand else ''}".rstrip())
        try:
            _show(trial.start())
            if lang:
                if channel == "sms" or len(flow.languages) > 1:
                    how = "press" if channel == "voice" else "text"
                    click.echo(f"you> ({how} for {flow.languages[lang].name})")
                _show(trial.choose_language(flow, lang))
            for typed in _inputs(script):
                if trial.over:
                    break
                if channel == "sms" and not typed.strip():
                    continue
                if not typed_by_hand:
                    click.echo(f"you> {typed}")
                try:
                    _show(trial.enter(typed))
                except InputError as error:
                    if not typed_by_hand:
                        raise click.ClickException(f"'{typed}': {error}") from None
                    click.echo(f"  ? {error}")
        except AssertionError as error:  # the line answered with an error status
            raise click.ClickException(f"the line failed: {error}") from None
        if channel == "voice" and not trial.over:
            click.echo("  (you hung up)")
    if record_to:
        title = f"Recorded with `ivr {'call' if channel == 'voice' else 'text'}` (flow version {flow.version})"
        Path(record_to).write_text(trial.script(title), encoding="utf-8")
        click.echo(f"Saved as a conversation test: {record_to} "
                   "(put it in tests/conversations/ and the test suite replays it)")


def _trial_command(name: str, channel: str, summary: str):
    @click.command(name, help=summary)
    @flows_option
    @stored_options
    @click.option("--lang", default=None, help="Start in this language (e.g. es).")
    @click.option("--script", type=click.Path(exists=True, dir_okay=False),
                  help="Take the inputs from this file, one a line, without a prompt.")
    @click.option("--record", "record_to", type=click.Path(dir_okay=False),
                  help="Save the session as a conversation test file.")
    def command(flows: str, version: int | None, draft: int | None, lang: str | None, script: str | None,
                record_to: str | None) -> None:
        _try(channel, *_chosen(flows, version, draft), lang, script, record_to)

    return command


call = _trial_command("call", "voice", """A phone in the terminal: hear what callers hear, answer by key or voice.

Type a key (0-9, *, #), `say WORDS`, or an empty line for silence; `dial STATUS` (completed,
busy, no-answer, failed) ends a transfer. The real app runs in this process with signature
checks on, on a throwaway database, against the flow files on disk (or --version N, --draft N).""")

text = _trial_command("text", "sms", """A text-message chat with the line, as a texter sees it.

Each line you type is one text. The real app runs in this process with signature checks on,
on a throwaway database, against the flow files on disk (or --version N, --draft N).""")


@click.command("graph")
@flows_option
@stored_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="mermaid", show_default=True,
              help="Mermaid text, Graphviz DOT text, or a picture drawn by Graphviz.")
@click.option("--lang", default=None, help="Which language's words to show (default: the first).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write here instead of the screen; a .md file gets a Markdown page with the Mermaid.")
def graph(flows: str, version: int | None, draft: int | None, fmt: str, lang: str | None,
          output: str | None) -> None:
    """Draw the line: menus, options with their keys, words and keywords, pages and ends."""
    flow = _load(*_chosen(flows, version, draft))
    lang = lang or flow.default_language
    if lang not in flow.languages:
        raise click.BadParameter(f"'{lang}' is not one of the languages ({', '.join(flow.languages)})",
                                 param_hint="--lang")
    if fmt == "mermaid":
        data = drawing.mermaid(flow, lang)
        if output and output.endswith(".md"):
            data = drawing.markdown_page(flow, lang, data)
    elif fmt == "dot":
        data = drawing.dot(flow, lang).source
    else:
        try:
            data = drawing.draw(flow, lang, fmt)
        except drawing.GraphvizMissing as error:
            raise click.ClickException(str(error)) from None
    if output:
        Path(output).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        click.echo(f"Wrote {output}")
    elif isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        click.echo(data, nl=False)
