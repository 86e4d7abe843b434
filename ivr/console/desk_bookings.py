"""The front desk's bookings: found by day, name or the last digits of the number; each with its
channel, language and the texts sent about it (and their delivery); cancelled (the patient is
texted through the outbox unless they opted out, and the time is open again, as `ivr bookings
cancel` does), marked arrived or no-show. Names and number searches are for roles that see
patients; a viewer sees the day's list with the numbers masked."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..messaging.texts import queue_text
from ..services import current_flow, services
from ..services.notices import tell_cancelled
from ..storage.bookings import ATTENDANCE
from . import desk_view as view
from .changes import record
from .login import now
from .roles import require

bp = Blueprint("desk_bookings", __name__, url_prefix="/desk/bookings")
DIGITS_MIN, DIGITS_MAX = 3, 10
ATTENDANCE_SAID = {"arrived": "arrived", "no_show": "a no-show"}


@bp.get("")
@require("view_desk")
def index():
    day, error = view.day_arg("day")
    name, digits = request.args.get("name", "").strip()[:60], request.args.get("digits", "").strip()
    errors = {"day": error} if error else {}
    if (name or digits) and not view.sees_patients():
        errors["name"] = "Finding a patient by name or number is for the front desk."
        name = digits = ""
    if digits and not (digits.isdigit() and DIGITS_MIN <= len(digits) <= DIGITS_MAX):
        errors["digits"] = f"Write the last {DIGITS_MIN} to {DIGITS_MAX} digits of the number, digits only."
        digits = ""
    searching = bool(name or digits)
    if day is not None:
        since, until = view.midnight(day), view.midnight(day + timedelta(days=1))
    elif searching:  # a patient's bookings: from a year back
        since, until = view.midnight(view.today() - timedelta(days=365)), None
    else:  # today and after
        since, until = view.midnight(view.today()), None
    page = view.lists().bookings(since, until, name=name, digits=digits, after=request.args.get("after"))
    asked = (("day", request.args.get("day")), ("name", name), ("digits", digits))
    args = {key: value for key, value in asked if value}
    return render_template("console/desk_bookings.html", page=page, args=args, errors=errors, day=day,
                           name=name, digits=digits, searching=searching, now=now(),
                           attendance=ATTENDANCE_SAID), 400 if errors else 200


@bp.get("/<int:booking_id>")
@require("view_desk")
def show(booking_id: int):
    booking = services().bookings.booking(booking_id)
    if booking is None:
        abort(404)
    texts = view.lists().booking_texts(booking_id)
    reminders = services().reminders.for_booking(booking_id)
    return render_template("console/desk_booking.html", booking=booking, texts=texts, reminders=reminders,
                           now=now(), attendance=ATTENDANCE_SAID, day=view.local(booking.slot.starts_at).date())


@bp.post("/<int:booking_id>/cancel")
@require("run_desk")
def cancel(booking_id: int):
    store = services().bookings
    booking = store.booking(booking_id)
    if booking is None:
        abort(404)
    texted = []
    if not store.cancel(booking_id, now(), then=tell_cancelled(current_flow(), view.zone(), queue_text, texted)):
        flash(f"Not cancelled: booking {booking_id} is already {booking.status}.")
        return redirect(url_for("desk_bookings.show", booking_id=booking_id), 303)
    told = bool(texted) and texted[0].sending
    record("desk.booking.cancel", booking_id, {"texted": told, "slot": booking.slot.id})
    flash(f"Cancelled booking {booking_id} for {view.local(booking.slot.starts_at):%a %Y-%m-%d %H:%M}; the time is "
          "open again; " + ("the patient is being texted that it was cancelled." if told else
                            "the patient gets no texts from the line (opted out or not allowed), so was not texted."))
    return redirect(url_for("desk_bookings.show", booking_id=booking_id), 303)


@bp.post("/<int:booking_id>/attendance")
@require("run_desk")
def attendance(booking_id: int):
    booking = services().bookings.booking(booking_id)
    if booking is None:
        abort(404)
    mark = request.form.get("attendance", "")
    if mark not in ATTENDANCE:
        flash("Choose arrived or no-show.")
    elif services().bookings.mark_attendance(booking_id, mark, now()):
        record("desk.booking.attendance", booking_id, {"marked": mark})
        flash(f"Booking {booking_id} is marked {ATTENDANCE_SAID[mark]}.")
    else:
        flash(f"Not marked: booking {booking_id} is {booking.status}" +
              (", and its time has not come yet." if booking.status == "booked" else "."))
    if request.form.get("back") == "list":  # marked from the day's list: back to it
        return redirect(url_for("desk_bookings.index", day=f"{view.local(booking.slot.starts_at):%Y-%m-%d}"), 303)
    return redirect(url_for("desk_bookings.show", booking_id=booking_id), 303)
