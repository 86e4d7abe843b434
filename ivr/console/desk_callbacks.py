"""The call-back queue: people who asked for a person to call them, oldest first, with the full
number to call for desk and admin (a viewer sees the last four digits), marked done with a note."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..services import services
from ..storage.callbacks import DONE, NOTE_MAX, OPEN
from . import desk_view as view
from .changes import record
from .login import now
from .roles import require

bp = Blueprint("desk_callbacks", __name__, url_prefix="/desk/callbacks")


@bp.get("")
@require("view_desk")
def queue():
    status = DONE if request.args.get("status") == DONE else OPEN
    page = view.lists().callbacks(status, request.args.get("after"))
    return render_template("console/desk_callbacks.html", page=page, status=status, note_max=NOTE_MAX,
                           args={"status": status})


@bp.post("/<int:callback_id>/done")
@require("run_desk")
def done(callback_id: int):
    if view.lists().callback(callback_id) is None:
        abort(404)
    note = request.form.get("note", "")
    try:
        marked = services().callbacks.mark_callback_done(callback_id, note, now())
    except ValueError:
        flash(f"Not marked done: the note is longer than {NOTE_MAX} characters. Shorten it and try again.")
        return redirect(url_for("desk_callbacks.queue"), 303)
    if not marked:
        flash(f"Call-back {callback_id} was already done.")
    else:
        record("desk.callback.done", callback_id, {"noted": bool(note.strip())})  # the note may name the patient
        flash(f"Call-back {callback_id} is done.")
    return redirect(url_for("desk_callbacks.queue"), 303)
