"""The texts the line sends, by state: waiting, sent, failed, blocked (opted out, or refused by a
country or a limit), newest first; a failed one sent again. The words of a text are for desk and
admin only."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import NoResultFound

from ..services import services
from ..storage.desk_lists import OUTBOX_STATES
from . import desk_view as view
from .changes import record
from .login import now
from .roles import require

bp = Blueprint("desk_outbox", __name__, url_prefix="/desk/outbox")


@bp.get("")
@require("view_desk")
def index():
    state = request.args.get("state", "waiting")
    if state not in OUTBOX_STATES:
        state = "waiting"
    page = view.lists().outbox(state, request.args.get("after"))
    return render_template("console/desk_outbox.html", page=page, state=state, states=OUTBOX_STATES,
                           args={"state": state})


@bp.post("/<int:text_id>/retry")
@require("run_desk")
def retry(text_id: int):
    outbox = services().outbox
    try:
        message = outbox.get(text_id)
    except NoResultFound:
        abort(404)
    if outbox.retry_failed(text_id, now()):
        record("desk.outbox.retry", text_id, {"kind": message.kind})
        flash(f"Text {text_id} will be sent again (unless the number has opted out since).")
    else:
        flash(f"Text {text_id} is {message.status}, not failed: only a failed text is sent again.")
    return redirect(url_for("desk_outbox.index", state="failed"), 303)
