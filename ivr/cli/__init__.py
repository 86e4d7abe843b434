"""The `ivr` command line for staff and deployers, one module per subject.

Commands that work on the line's data (slots, bookings, callbacks, outbox, reminders, waitlist,
report, purge, init-db) run inside the app, made from the same settings as the server: they are Flask
`with_appcontext` commands, and the `ivr` group hands them Flask's ScriptInfo, which makes the
app with `create_app` when such a command runs (tests hand their own app, with its clock, through
`app.test_cli_runner()`). The flow tools (validate, call, text, graph) and `webhooks` need no
app, so they work even while the flow files have errors."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy.exc import DBAPIError

from ..app import create_app
from ..config import ConfigError
from ..flow import FlowError
from .flows_commands import call, graph, text, validate
from .outbox_commands import outbox
from .reminders_commands import reminders, waitlist
from .report_commands import purge_command, report
from .setup_commands import init_db, webhooks
from .slots_commands import bookings, callbacks, slots
from .staff_commands import staff
from .versions_commands import flows


def command_app():
    """The app as the server would run it, but sending no texts in the background, and made even
    when the live flow version cannot be served (so `ivr flows publish` can ship the fix)."""
    try:
        return create_app({"OUTBOX_WORKER": False, "FLOW_REQUIRED": False})
    except FlowError as error:
        raise click.ClickException(f"the flow files have errors:\n{error}") from None
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    except DBAPIError as error:  # its kind only: the message may name the host or the user
        raise click.ClickException(f"the database cannot be reached ({type(error.orig or error).__name__}); "
                                   "nothing was done") from None


class LineCommands(AppGroup):
    """A command group whose app commands run in the app that command_app makes."""

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is None:
            extra.setdefault("obj", ScriptInfo(create_app=command_app, set_debug_flag=False))
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except FlowError as error:  # a command that needs the live flow, which this code cannot serve
            raise click.ClickException(f"the live flow version cannot be served:\n{error}") from None


main = LineCommands(name="ivr", help="Spine health information line: set up, check and run the line.")
for _command in (init_db, webhooks, validate, call, text, graph, slots, bookings, callbacks, outbox, reminders,
                 waitlist, report, purge_command, staff, flows):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
