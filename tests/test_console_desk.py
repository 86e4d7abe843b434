"""The front desk in the console, without a browser: bookings made through the real /sms webhook
found by day, name and last digits, cancelled (the text through the outbox, the time open again),
marked arrived or no-show; slots added, imported and removed; the call-back queue; the outbox and
a retry; what each role sees; every desk action audited; every list paged."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from ivr.console.roles import PERMISSIONS
from ivr.simulate.phone import Phone, Signer
from ivr.storage.tables import bookings, outbox

from conftest import AUTH_TOKEN
from console_client import Clock
from desk_helpers import (
    EMAILS,
    FIRST_SLOT,
    NOW,
    PATIENT,
    audit_actions,
    book_by_text,
    desk_app,
    rows,
    signed_in,
    texter,
)


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def app(tmp_path, clock):
    return desk_app(tmp_path, clock)


def page(response) -> str:
    return response.get_data(as_text=True)


def table(html: str, table_id: str) -> list[list[str]]:
    """The rows of a table on the page, each cell's text."""
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


# ---- bookings --------------------------------------------------------------------------------------

def test_a_texters_booking_is_on_the_desks_list_found_by_day_name_and_last_digits(app):
    book_by_text(app, "Ana Lopez")
    desk = signed_in(app, "desk")
    for query in ("?day=2026-12-02", "?name=ana lo", "?digits=0123", ""):
        listed = table(page(desk.get("/console/desk/bookings" + query)), "bookings")
        assert [r[:7] for r in listed] == [["Wed 2026-12-02 09:00", "Dr. Doss", "Ana Lopez", PATIENT, "text", "en",
                                            "booked"]], query
    for query, said in (("?day=2026-12-03", "No bookings that day."), ("?name=maria", "No bookings."),
                        ("?digits=9999", "No bookings.")):
        assert table(page(desk.get("/console/desk/bookings" + query)), "bookings") == [[said]], query


def test_a_booking_shows_its_channel_language_and_texts_and_a_viewer_sees_neither_number_nor_words(app):
    book_by_text(app, "Ana Lopez")
    (booking,) = rows(app, bookings)
    desk = page(signed_in(app, "desk").get(f"/console/desk/bookings/{booking.id}"))
    assert "text messages" in desk and "<dd>en</dd>" in desk and PATIENT in desk and "Ana Lopez" in desk
    viewer = signed_in(app, "viewer")
    shown = page(viewer.get(f"/console/desk/bookings/{booking.id}"))
    assert PATIENT not in shown and "***0123" in shown and "Ana Lopez" not in shown
    listed = page(viewer.get("/console/desk/bookings?day=2026-12-02"))
    assert PATIENT not in listed and "Ana Lopez" not in listed and "***0123" in listed
    searched = viewer.get("/console/desk/bookings?digits=0123")  # a viewer cannot find a patient by number
    assert searched.status_code == 400 and "for the front desk" in page(searched)


def test_a_callers_booking_lists_its_texted_confirmation_and_its_delivery(app):
    phone = Phone(Signer(app.test_client(), AUTH_TOKEN), caller=PATIENT)
    phone.call()
    phone.press("1")
    phone.say("I want to make an appointment")
    phone.press("1")
    phone.say("yes")
    phone.say("Maria Gonzalez")
    phone.press("1")
    (booking,) = rows(app, bookings)
    (text,) = rows(app, outbox)
    app.extensions["ivr"].outbox.mark_sent(text.id, "SM1", NOW)
    shown = page(signed_in(app, "desk").get(f"/console/desk/bookings/{booking.id}"))
    assert "a call" in shown and "Maria Gonzalez" in shown
    assert [r[1:3] for r in table(shown, "booking-texts")] == [["booking confirmation", "sent"]]


def test_the_desk_cancels_a_booking_the_patient_is_texted_the_time_is_open_again_and_it_is_audited(app):
    book_by_text(app, "Ana Lopez")
    (booking,) = rows(app, bookings)
    desk = signed_in(app, "desk")
    done = desk.post(f"/console/desk/bookings/{booking.id}/cancel", token_from=f"/console/desk/bookings/{booking.id}")
    assert done.status_code == 303
    shown = page(desk.get(f"/console/desk/bookings/{booking.id}"))
    assert "being texted" in shown and 'id="booking-state">cancelled' in shown
    (text,) = rows(app, outbox, outbox.c.booking_id == booking.id)
    assert (text.kind, text.status, text.to_number) == ("cancellation", "pending", PATIENT)
    assert [r[1:3] for r in table(shown, "booking-texts")] == [["cancellation", "pending"]]
    assert app.extensions["ivr"].slots.open_slot(booking.slot_id, NOW) is not None  # open again
    week = page(desk.get("/console/desk/slots?week=2026-11-30"))
    assert "Booked:" not in week and "desk.booking.cancel" in audit_actions(app)
    again = desk.post(f"/console/desk/bookings/{booking.id}/cancel", token_from="/console/desk/bookings")
    assert "already cancelled" in page(desk.get(again.headers["Location"]))
    assert len(rows(app, outbox, outbox.c.booking_id == booking.id)) == 1  # told once


def test_a_patient_who_opted_out_is_not_texted_the_cancellation_and_the_desk_is_told(app):
    book_by_text(app, "Ana Lopez")
    texter(app).send("STOP")
    (booking,) = rows(app, bookings)
    desk = signed_in(app, "desk")
    done = desk.post(f"/console/desk/bookings/{booking.id}/cancel", token_from="/console/desk/bookings")
    assert "was not texted" in page(desk.get(done.headers["Location"]))
    assert [t.status for t in rows(app, outbox, outbox.c.booking_id == booking.id)] == ["blocked"]


def test_arrived_any_time_no_show_only_once_the_time_has_come(app, clock):
    book_by_text(app)
    (booking,) = rows(app, bookings)
    desk = signed_in(app, "desk")
    path = f"/console/desk/bookings/{booking.id}"
    desk.post(path + "/attendance", {"attendance": "no_show"}, token_from=path)
    assert "its time has not come yet" in page(desk.get(path))
    clock.advance(days=1, minutes=10)
    desk = signed_in(app, "desk")  # the next working day
    desk.post(path + "/attendance", {"attendance": "no_show"}, token_from=path)
    assert "a no-show" in page(desk.get(path))
    desk.post(path + "/attendance", {"attendance": "arrived"}, token_from=path)  # late after all
    assert rows(app, bookings)[0].attendance == "arrived"
    desk.post(path + "/attendance", {"attendance": "maybe"}, token_from=path)
    assert "Choose arrived or no-show" in page(desk.get(path))
    assert audit_actions(app).count("desk.booking.attendance") == 2


def test_every_booking_list_is_paged_with_no_row_twice_and_a_bad_cursor_is_the_first_page(tmp_path, clock):
    app = desk_app(tmp_path, clock, slots=0)
    svc = app.extensions["ivr"]
    made = svc.slots.add_slots(FIRST_SLOT, timedelta(minutes=10), 120, "Dr. Doss", 10, NOW)
    for n, slot in enumerate(made):
        svc.bookings.book(slot.id, f"+1502555{n:04d}", f"Pat {n}", "voice", "en", NOW)
    desk = signed_in(app, "desk")
    seen, url = [], "/console/desk/bookings"
    while url:
        html = page(desk.get(url))
        seen += [r[2] for r in table(html, "bookings")]
        found = re.search(r'href="([^"]+)">Next bookings', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == [f"Pat {n}" for n in range(120)]
    assert table(page(desk.get("/console/desk/bookings?after=not-a-cursor")), "bookings")[0][2] == "Pat 0"


# ---- slots -----------------------------------------------------------------------------------------

def test_the_desk_adds_a_run_of_slots_and_a_repeat_is_skipped(app):
    desk = signed_in(app, "desk")
    form = {"day": "2026-12-07", "time": "13:00", "every": "20m", "count": "3", "minutes": "20", "label": "Dr. Ruiz"}
    done = desk.post("/console/desk/slots", form, token_from="/console/desk/slots")
    assert done.status_code == 303
    week = page(desk.get(done.headers["Location"]))
    assert "Added 3 slots." in week
    assert [r[0] for r in table(week, "slots-2026-12-07")] == [
        "Mon 2026-12-07 13:00", "Mon 2026-12-07 13:20", "Mon 2026-12-07 13:40"]
    desk.post("/console/desk/slots", form, token_from="/console/desk/slots")
    assert "Added 0 slots (3 already there)." in page(desk.get("/console/desk/slots?week=2026-12-07"))
    assert "desk.slots.add" in audit_actions(app)


@pytest.mark.parametrize("field, value, message", [
    ("day", "7 Dec", "Write the first day as YYYY-MM-DD"),
    ("day", "2026-11-30", "That time has passed"),
    ("time", "1pm", "Write the first time as HH:MM"),
    ("every", "often", "is not a time between slots"),
    ("count", "5000", "Write a whole number from 1 to 1000"),
])
def test_a_bad_run_of_slots_is_told_beside_its_field(app, field, value, message):
    desk = signed_in(app, "desk")
    form = {"day": "2026-12-07", "time": "13:00", "every": "20m", "count": "3", "minutes": "20", "label": ""}
    answer = desk.post("/console/desk/slots", {**form, field: value}, token_from="/console/desk/slots")
    assert answer.status_code == 400
    html = page(answer)
    assert re.search(rf'<p class="error" id="{field}-error">[^<]*{re.escape(message)}', html), html
    assert f'aria-describedby="{field}-error"' in html


def test_a_csv_import_adds_the_good_rows_and_shows_each_bad_one_by_line(app):
    desk = signed_in(app, "desk")
    csv = b"date,time,minutes,label\n2026-12-08,09:00,30,Dr. Ruiz\n2026-12-08,25:00,30,Dr. Ruiz\n" \
          b"2026-12-08,10:00,zero,Dr. Ruiz\n2026-12-08,11:00,30,Dr. Ruiz\n"
    answer = desk.client.post("/console/desk/slots/import", data={
        "csrf_token": desk.token("/console/desk/slots"), "file": (io.BytesIO(csv), "december.csv")},
        content_type="multipart/form-data")
    assert answer.status_code == 400
    html = page(answer)
    problems = re.findall(r'<li class="error">([^<]+)</li>', html)
    assert len(problems) == 2 and problems[0].startswith("line 3: ") and problems[1].startswith("line 4: ")
    assert "Added 2 slots from the file; 2 rows not added" in html
    week = page(desk.get("/console/desk/slots?week=2026-12-08"))
    assert "Tue 2026-12-08 09:00" in week and "Tue 2026-12-08 11:00" in week
    empty = desk.client.post("/console/desk/slots/import", data={"csrf_token": desk.token("/console/desk/slots")})
    assert empty.status_code == 400 and "Choose a CSV file" in page(empty)
    binary = desk.client.post("/console/desk/slots/import", data={
        "csrf_token": desk.token("/console/desk/slots"), "file": (io.BytesIO(b"\xff\xfe\x00bad"), "x.csv")},
        content_type="multipart/form-data")
    assert binary.status_code == 400 and "not plain text" in page(binary)


def test_an_open_slot_is_removed_and_a_booked_one_refused(app):
    book_by_text(app)
    (booking,) = rows(app, bookings)
    desk = signed_in(app, "desk")
    refused = desk.post(f"/console/desk/slots/{booking.slot_id}/remove", token_from="/console/desk/slots")
    assert "is booked: cancel its booking first" in page(desk.get(refused.headers["Location"]))
    other = booking.slot_id + 1
    desk.post(f"/console/desk/slots/{other}/remove", token_from="/console/desk/slots")
    assert app.extensions["ivr"].slots.slot(other) is None and app.extensions["ivr"].slots.slot(booking.slot_id)
    assert audit_actions(app).count("desk.slots.remove") == 1


# ---- call-backs and the outbox -----------------------------------------------------------------------

def test_the_call_back_queue_is_oldest_first_full_numbers_for_the_desk_and_done_with_a_note(app, clock):
    svc = app.extensions["ivr"]
    svc.callbacks.add_callback("+15025550111", "First Caller", "en", NOW)
    clock.advance(minutes=5)
    svc.callbacks.add_callback("+15025550222", "Second Caller", "es", NOW + timedelta(minutes=5))
    desk = signed_in(app, "desk")
    queue = table(page(desk.get("/console/desk/callbacks")), "callbacks")
    assert [(r[1], r[2], r[3]) for r in queue] == [("First Caller", "+15025550111", "en"),
                                                   ("Second Caller", "+15025550222", "es")]
    viewer = page(signed_in(app, "viewer").get("/console/desk/callbacks"))
    assert "+15025550111" not in viewer and "***0111" in viewer and "First Caller" not in viewer
    first = svc.callbacks.list_callbacks()[0].id
    desk.post(f"/console/desk/callbacks/{first}/done", {"note": "Called, booked for Friday"},
              token_from="/console/desk/callbacks")
    assert [r[1] for r in table(page(desk.get("/console/desk/callbacks")), "callbacks")] == ["Second Caller"]
    assert "Called, booked for Friday" in page(desk.get("/console/desk/callbacks?status=done"))
    long = desk.post(f"/console/desk/callbacks/{first + 1}/done", {"note": "x" * 600},
                     token_from="/console/desk/callbacks")
    assert "longer than 500 characters" in page(desk.get(long.headers["Location"]))
    assert audit_actions(app).count("desk.callback.done") == 1


def test_the_outbox_by_state_a_failed_text_retried_and_words_only_for_the_desk(app, clock):
    box = app.extensions["ivr"].outbox
    failed = box.enqueue(PATIENT, "Your words here", "content", NOW)
    box.mark_failed(failed, "21211 invalid number", NOW)
    sent = box.enqueue("+15025550999", "Another text", "content", NOW)
    box.mark_sent(sent, "SM1", NOW)
    desk = signed_in(app, "desk")
    listed = table(page(desk.get("/console/desk/outbox?state=failed")), "outbox")
    assert [(r[0], r[2], r[4], r[6]) for r in listed] == [(str(failed), PATIENT, "failed (21211 invalid number)",
                                                          "Your words here")]
    viewer = page(signed_in(app, "viewer").get("/console/desk/outbox?state=failed"))
    assert "Your words here" not in viewer and PATIENT not in viewer and "Send again" not in viewer
    clock.advance(minutes=3)
    desk.post(f"/console/desk/outbox/{failed}/retry", token_from="/console/desk/outbox")
    retried = box.get(failed)
    assert (retried.status, retried.attempts, retried.next_attempt_at) == ("pending", 0, clock.now)
    assert [r[0] for r in table(page(desk.get("/console/desk/outbox")), "outbox")] == [str(failed)]
    again = desk.post(f"/console/desk/outbox/{sent}/retry", token_from="/console/desk/outbox")
    assert "only a failed text is sent again" in page(desk.get(again.headers["Location"]))
    assert audit_actions(app).count("desk.outbox.retry") == 1
    assert desk.post("/console/desk/outbox/99999/retry", token_from="/console/desk/outbox").status_code == 404


# ---- roles, route by route -----------------------------------------------------------------------------

def _desk_routes(console):
    for rule in console.url_map.iter_rules():
        if rule.rule.startswith(("/desk", "/figures")):
            view = console.view_functions[rule.endpoint]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, "/console" + re.sub(r"<[^>]+>", "1", rule.rule), view.permission


def test_every_desk_and_figures_route_needs_the_right_permission_for_every_role(app):
    routes = list(_desk_routes(app.extensions["console"]))
    assert len(routes) >= 13
    for method, path, permission in routes:
        expected = "view_reports" if path.startswith("/console/figures") else \
            "run_desk" if method == "POST" else "view_desk"
        assert permission == expected, (method, path)
        for role, email in EMAILS.items():
            browser = signed_in(app, role)
            response = browser.get(path) if method == "GET" else browser.post(path, {}, token_from="/console/figures")
            assert (response.status_code != 403) == (role in PERMISSIONS[permission]), (method, path, role)
            assert response.status_code < 500, (method, path, role)


def test_the_desk_lands_on_its_bookings_and_an_editor_has_no_desk(app):
    answer = signed_in(app, "desk").get("/console/sign-in")
    assert answer.headers["Location"].endswith("/console/desk/bookings")
    assert signed_in(app, "editor").get("/console/desk/bookings").status_code == 403
