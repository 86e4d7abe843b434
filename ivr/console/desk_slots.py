"""The front desk's slots: a week of open and booked times per label, a run of slots added (what
`ivr slots add` does), a CSV file imported with each bad row shown as `line N: what is wrong`, an
open slot removed (refused while it is booked)."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..services import services
from ..storage.slot_csv import COLUMNS
from ..storage.slots import parse_every
from . import desk_view as view
from .changes import record
from .login import now
from .roles import require

bp = Blueprint("desk_slots", __name__, url_prefix="/desk/slots")
CSV_MAX = 512 * 1024  # a season of slots is far less


@bp.get("")
@require("view_desk")
def week():
    return _week_page({}, {}, [])


def _week_page(form: dict, errors: dict, problems: list[str], status: int = 200):
    first, error = view.day_arg("week", view.today())
    first = view.week_of(first)
    label = request.args.get("label") or None
    found, more = view.lists().week(view.midnight(first), view.midnight(first + timedelta(days=7)), label)
    days = {first + timedelta(days=n): [] for n in range(7)}
    for item in found:
        days.setdefault(view.local(item.slot.starts_at).date(), []).append(item)
    labels = sorted({item.slot.label for item in found} | ({label} if label else set()))
    return render_template("console/desk_slots.html", first=first, days=days, more=more, label=label, labels=labels,
                           week_error=error, form=form, errors=errors, problems=problems, columns=COLUMNS,
                           now=now(), prev_week=first - timedelta(days=7), next_week=first + timedelta(days=7)), status


@bp.post("")
@require("run_desk")
def add_run():
    form = {name: request.form.get(name, "").strip() for name in ("day", "time", "every", "count", "label", "minutes")}
    errors: dict[str, str] = {}
    start = _start(form, errors)
    every = _field(errors, "every", lambda: parse_every(form["every"] or "30m"))
    count = _number(form, errors, "count", 1, 1000, "1")
    minutes = _number(form, errors, "minutes", 1, 24 * 60, "30")
    if not errors:
        try:
            added = services().slots.add_slots(start.astimezone(view.zone()), every, count, label=form["label"],
                                               minutes=minutes, now=now())
        except ValueError as error:
            errors["label"] = str(error)
        else:
            record("desk.slots.add", form["label"], {"asked": count, "added": len(added),
                                                     "from": f"{form['day']} {form['time']}"})
            skipped = count - len(added)
            flash(f"Added {len(added)} slot{'s' if len(added) != 1 else ''}"
                  + (f" ({skipped} already there)." if skipped else "."))
            return redirect(url_for("desk_slots.week", week=form["day"], label=form["label"] or None), 303)
    return _week_page(form, errors, [], 400)


def _start(form: dict, errors: dict) -> datetime | None:
    try:
        day = date.fromisoformat(form["day"])
    except ValueError:
        errors["day"] = "Write the first day as YYYY-MM-DD, e.g. 2030-06-10."
        return None
    try:
        clock = datetime.strptime(form["time"], "%H:%M").time()
    except ValueError:
        errors["time"] = "Write the first time as HH:MM on the 24-hour clock, e.g. 09:00."
        return None
    try:
        start = view.local_time(day, clock)
    except ValueError as error:
        errors["time"] = str(error)
        return None
    if start <= now():
        errors["day"] = "That time has passed: slots are for times to come."
    return start


def _field(errors: dict, name: str, read):
    try:
        return read()
    except ValueError as error:
        errors[name] = str(error)
        return None


def _number(form: dict, errors: dict, name: str, low: int, high: int, default: str) -> int:
    text = form[name] or default
    if not text.isdigit() or not low <= int(text) <= high:
        errors[name] = f"Write a whole number from {low} to {high}."
        return low
    return int(text)


@bp.post("/import")
@require("run_desk")
def import_csv():
    upload = request.files.get("file")
    data = upload.read(CSV_MAX + 1) if upload else b""
    if not data:
        return _week_page({}, {"file": "Choose a CSV file to import."}, [], 400)
    if len(data) > CSV_MAX:
        return _week_page({}, {"file": f"The file is larger than {CSV_MAX // 1024} KB: split it."}, [], 400)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _week_page({}, {"file": "The file is not plain text (UTF-8): save it as CSV and try again."}, [], 400)
    source = io.StringIO(text)
    source.name = "csv"
    added, problems = services().slots.import_csv(source, view.zone(), now())
    lines = [problem.replace("csv:", "line ", 1) for problem in problems]  # `line N: what is wrong`
    record("desk.slots.import", upload.filename or "", {"added": len(added), "rows_refused": len(problems)})
    flash(f"Added {len(added)} slot{'s' if len(added) != 1 else ''} from the file"
          + (f"; {len(problems)} row{'s' if len(problems) != 1 else ''} not added (below)." if problems else "."))
    if problems:
        return _week_page({}, {}, lines, 400)
    return redirect(url_for("desk_slots.week"), 303)


@bp.post("/<int:slot_id>/remove")
@require("run_desk")
def remove(slot_id: int):
    store = services().slots
    slot = store.slot(slot_id)
    try:
        removed = slot is not None and store.remove_slot(slot_id)
    except ValueError:
        flash(f"Slot {slot_id} is booked: cancel its booking first, then remove it.")
        return redirect(url_for("desk_slots.week", week=f"{view.local(slot.starts_at):%Y-%m-%d}"), 303)
    if not removed:
        flash("There is no such slot (it may have been removed already).")
        return redirect(url_for("desk_slots.week"), 303)
    record("desk.slots.remove", slot_id, {"starts": f"{view.local(slot.starts_at):%Y-%m-%d %H:%M}",
                                          "label": slot.label})
    flash(f"Removed the slot of {view.local(slot.starts_at):%a %Y-%m-%d %H:%M} {slot.label}".rstrip() + ".")
    return redirect(url_for("desk_slots.week", week=f"{view.local(slot.starts_at):%Y-%m-%d}",
                            label=request.form.get("label") or None), 303)
