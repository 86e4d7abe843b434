"""Random and hostile requests at every webhook, signed as Twilio signs so they reach the app.

Whatever arrives (fields missing or doubled, huge or binary values, control characters, NUL,
lone surrogates as far as HTTP carries them, RTL marks, emoji, unknown CallSids, step URLs with
nonsense in every parameter, replays), the line answers 200 with TwiML whose root is
<Response> (voice: valid against Twilio's schema when it is here), nothing fails inside (no
error logged), no phone number reaches a log, no state is corrupted: the texter still gets
sane replies, an opt-out holds, and no booking is made without the YES step.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import xml.etree.ElementTree as ET
from datetime import timedelta
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode

import pytest
import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" codec error handler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ivr.app import create_app
from ivr.booking import dialog
from ivr.config import MAX_REQUEST_BYTES
from ivr.control_words import control_word
from ivr.engine.state import LANGUAGE
from ivr.flow import load_flow
from ivr.privacy import phone_hash
from ivr.simulate.phone import BASE_URL, Signer, Texter
from ivr.storage.tables import bookings, sms_sessions

from booking_fakes import NOW
from conftest import AUTH_TOKEN, FLOWS, TWIML_SCHEMA, make_config

FLOW = load_flow(FLOWS)
CALLER = "+15025550123"
LINE = "+15025550100"
FIRST_SLOT = NOW + timedelta(days=1)
SLOTS = 8  # ids 1..8, open, from tomorrow 9:00 in New York
# 150 fixed examples a test keeps the suite fast and repeatable; HOSTILE_EXAMPLES=5000 hunts longer,
# with fresh random examples each run.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "0"))
BOUNDED = settings(max_examples=EXAMPLES or 150, deadline=None, derandomize=not EXAMPLES,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
VOICE_PATHS = ["/voice", "/voice/step", "/voice/node", "/voice/dial-done"]
WEBHOOKS = VOICE_PATHS + ["/sms"]


# ---- the app and what it answers ---------------------------------------------------------------

def hostile_app(tmp_path):
    """A real app on its own database, with open slots, a fixed clock and no SMS rate limit
    (tests/test_throttle.py floods with it on)."""
    app = create_app(make_config(tmp_path, CLOCK=lambda: NOW, SMS_RATE_LIMIT=0))
    app.extensions["ivr"].slots.add_slots(FIRST_SLOT, timedelta(minutes=30), SLOTS, "Dr. Doss", 30, NOW)
    return app


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def errors(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records if r.levelno >= logging.ERROR]

    def text(self) -> str:
        return "\n".join(r.getMessage() for r in self.records)


@contextlib.contextmanager
def logged():
    handler, logger = Records(), logging.getLogger("ivr")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@lru_cache(maxsize=1)
def twiml_schema():
    if not TWIML_SCHEMA.exists():
        return None
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(TWIML_SCHEMA)))


def assert_twiml(response, voice: bool) -> ET.Element:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)  # well-formed
    assert root.tag == "Response"
    schema = twiml_schema() if voice else None
    if schema is not None:
        from lxml import etree

        assert schema.validate(etree.fromstring(response.data)), schema.error_log.last_error
    return root


def answered(response, path: str, records: Records) -> ET.Element | None:
    """A good answer: TwiML (or 413 for a body over the limit), nothing failed inside, no phone
    number in the logs."""
    if response.request.content_length > MAX_REQUEST_BYTES:
        assert response.status_code == 413
        root = None
    else:
        root = assert_twiml(response, voice=path.startswith("/voice"))
    assert records.errors() == []
    assert CALLER[2:] not in records.text()
    return root


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    """An urlencoded body as sent on the wire; lone surrogates go as the bytes UTF-8 would give."""
    def enc(text: str) -> str:
        return quote(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs).encode("ascii")


def as_received(body: bytes) -> MultiDict:
    """The form as the app reads it (what a sender that signs correctly signs)."""
    return MultiDict(parse_qsl(body.decode(), keep_blank_values=True, errors="werkzeug.url_quote"))


def post_signed(signer: Signer, url: str, pairs: list[tuple[str, str]]):
    """POST a form that may hold anything (duplicates, NUL, surrogate bytes), correctly signed."""
    body = form_body(pairs)
    signature = signer.validator.compute_signature(signer.base_url + url, as_received(body))
    return signer.client.post(url, data=body, content_type="application/x-www-form-urlencoded",
                              base_url=signer.base_url, headers={"X-Twilio-Signature": signature})


def booking_rows(app):
    with app.extensions["ivr"].db.begin() as conn:
        return conn.execute(select(bookings)).all()


def session_row(app, number: str):
    key = phone_hash(number, app.config["SECRET_KEY"])
    with app.extensions["ivr"].db.begin() as conn:
        return conn.execute(select(sms_sessions).where(sms_sessions.c.phone_hash == key)).first()


# ---- strategies --------------------------------------------------------------------------------

NASTY = ["", " ", "\x00", "\x00\x00\x00", "\r\n", "\t", "\x1b[2J", "\x7f", "\u202e", "\u200f", "\u200b",
         "\ufeff", "\ufffd", "\U0001f4a5", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u0301", "Ⅻ", "²",
         "٣", "١٢٣", "ＳＴＯＰ", "<Say>hi</Say>", "]]>", "&amp;", "<!--", "'\"", "%00", "%ED%A0%80",
         "{name}", "{0}", "{caller.__class__}", "%s%s%n", "${jndi:x}", "\\", "../..", "DROP TABLE slots;--",
         "1", "2", "4", "0", "9", "8", "*", "#", "1#", "11", "yes", "no", "STOP", "stop texting", "START",
         "YES", "HELP", "MENU", "back", "person", "book", "cancel appt", "hola", "my legs gave out"]
NASTY_CHARACTERS = st.characters(codec="utf-8", categories=["Cc", "Cf", "Co", "Mn", "Zs", "Zl", "Zp", "So", "Nd",
                                                           "No", "Lo"])
SURROGATES = st.characters(categories=["Cs"])


def _huge(unit: str, times: int) -> str:
    return (unit * times)[:4000]  # under MAX_CONTENT_LENGTH even percent-encoded 4-byte characters


hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(NASTY_CHARACTERS, max_size=40),
    st.sampled_from(NASTY),
    st.lists(st.sampled_from(NASTY), min_size=1, max_size=6).map(" ".join),
    st.builds(_huge, st.text(min_size=1, max_size=4), st.integers(100, 4000)),
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=5), st.text(SURROGATES, min_size=1, max_size=3),
              st.text(max_size=5)),  # lone surrogates: sent as the bytes they would encode to
    st.binary(max_size=60).map(lambda b: b.decode("utf-8", "surrogateescape")),  # raw bytes, any
)

VOICE_FIELDS = {"CallSid": "CA" + "5" * 32, "AccountSid": "AC" + "0" * 32, "From": CALLER, "To": LINE,
                "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01",
                "Digits": "1", "SpeechResult": "symptoms", "Confidence": "0.9", "DialCallStatus": "no-answer"}
SMS_FIELDS = {"MessageSid": "SM" + "5" * 32, "AccountSid": "AC" + "0" * 32, "From": CALLER, "To": LINE,
              "Body": "hi", "NumMedia": "0"}
UNKNOWN_FIELDS = ["MediaUrl0", "FromCity", "", "Body ", "digits", "\x00", "CallSid[]", "\u202eBody"]


@st.composite
def forms(draw, fields: dict, keep: tuple = ()) -> list[tuple[str, str]]:
    """Twilio's fields, each as sent, missing, hostile or doubled; `keep` ones always as sent;
    then fields Twilio never sends. From keeps the caller's number inside it, to look for in logs."""
    pairs = []
    for name, usual in fields.items():
        how = "usual" if name in keep else draw(st.sampled_from(["usual", "missing", "hostile", "twice"]))
        if how == "missing":
            continue
        value = usual if how == "usual" else draw(hostile_text)
        if name == "From" and how != "usual":
            value = draw(st.sampled_from(["", CALLER + value, value + CALLER]))
        pairs.append((name, value))
        if how == "twice":
            pairs.append((name, draw(st.one_of(st.just(usual), hostile_text))))
    extra = draw(st.lists(st.tuples(st.one_of(st.sampled_from(UNKNOWN_FIELDS), st.text(max_size=8)),
                                    hostile_text), max_size=3))
    pairs += extra
    return draw(st.permutations(pairs))


NUMBERS = st.one_of(st.integers(-3, 10).map(str), st.integers(-2 ** 70, 2 ** 70).map(str),
                    st.sampled_from(["", "-0", "+1", " 7", "1e3", "0x1f", "1_000", "²", "٣", "Ⅻ", "NaN", "9" * 5000,
                                     "1" * 19, "9223372036854775808"]),
                    hostile_text)
QUERY_VALUES = {
    "node": st.one_of(st.sampled_from(sorted(FLOW.nodes) + [LANGUAGE, "appointments", "person"]), hostile_text),
    "lang": st.one_of(st.sampled_from(["en", "es", "fr", "EN", ""]), hostile_text),
    "miss": NUMBERS,
    "stage": st.one_of(st.sampled_from(sorted(dialog.BOOKING_STAGES | dialog.CALLBACK_STAGES)), hostile_text),
    "slot": st.one_of(st.integers(0, SLOTS + 1).map(str), NUMBERS),
    "page": NUMBERS,
    "offered": st.one_of(st.lists(st.one_of(st.integers(0, SLOTS + 1).map(str), NUMBERS), max_size=5).map("-".join),
                         hostile_text),
    "ref": NUMBERS,
}


@st.composite
def step_urls(draw, paths=("/voice/step", "/voice/node", "/voice/dial-done", "/voice")) -> str:
    """A step URL with any parameters in any order, doubled or missing, any values."""
    path = draw(st.sampled_from(paths))
    names = draw(st.lists(st.sampled_from(sorted(QUERY_VALUES) + ["x", ""]), max_size=12))
    query = [(name, draw(QUERY_VALUES.get(name, hostile_text))) for name in names]
    if not query:
        return path
    encoded = "&".join(f"{quote(k.encode('utf-8', 'surrogatepass'), safe='')}="
                       f"{quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in query)
    return f"{path}?{encoded}"


# ---- voice -------------------------------------------------------------------------------------

def test_any_voice_request_gets_valid_twiml_and_never_a_booking_without_yes(tmp_path):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)

    @BOUNDED
    @given(url=step_urls(), form=forms(VOICE_FIELDS))
    def check(url, form):
        before = len(booking_rows(app))
        with logged() as records:
            root = answered(post_signed(signer, url, form), url, records)
        made = booking_rows(app)[before:]
        if made:  # only the YES of a read-back, after this call gave a name
            query, sent = dict(parse_qsl(url.partition("?")[2])), MultiDict(form)
            assert url.startswith("/voice/step?") and query.get("stage") == dialog.READBACK
            assert (sent.get("Digits") or "").strip() == dialog.KEY_YES or (
                not (sent.get("Digits") or "").strip() and sent.get("SpeechResult", "").strip())
            assert all(booking.name.strip() for booking in made)
        assert root is None or root.find("Dial") is None or root.find("Dial").text.strip() in (
            app.config["TRANSFER_NUMBER"], "")

    check()


def test_a_yes_at_the_read_back_books_nothing_when_this_call_never_gave_a_name(tmp_path):
    """A step URL at the read-back, signed, for a call the line never asked a name of."""
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    url = "/voice/step?" + urlencode({"node": "appointments", "lang": "en", "miss": 0, "stage": dialog.READBACK,
                                      "slot": 1, "page": 0, "offered": "1-2-3", "ref": 0})
    for sid in ("CA" + "9" * 32, "", "CA-unknown"):
        with logged() as records:
            root = answered(post_signed(signer, url, [("CallSid", sid), ("From", CALLER), ("Digits", "1")]),
                            url, records)
        assert booking_rows(app) == []
        said = " ".join(s.text or "" for s in root.iter("Say"))
        assert FLOW.phrase("book_ask_name", "en") in said  # asked for the name instead


@pytest.mark.parametrize("query", [
    {"node": "appointments", "lang": "en", "stage": "choose", "offered": "²-1"},
    {"node": "appointments", "lang": "en", "stage": "choose", "offered": "9" * 5000},
    {"node": "appointments", "lang": "en", "stage": "choose", "offered": "99999999999999999999999"},
    {"node": "appointments", "lang": "en", "stage": "confirm", "slot": "99999999999999999999999"},
    {"node": "appointments", "lang": "en", "stage": "choose", "page": "99999999999999999999999"},
    {"node": "appointments", "lang": "en", "stage": "choose", "page": "3074457345618258603"},
    {"node": "appointments", "lang": "en", "stage": "cancel", "ref": "-99999999999999999999999"},
    {"node": "appointments", "lang": "en", "stage": "readback", "slot": "٣"},
    {"node": "main", "lang": "en", "miss": "-99999999999999999999999"},
], ids=["superscript", "5000-digits", "over-64-bit", "huge-slot", "huge-page", "page-offset-overflow",
        "negative-ref", "arabic-digit", "negative-miss"])
@pytest.mark.parametrize("path", ["/voice/step", "/voice/node"])
def test_numbers_in_a_step_url_that_no_database_can_hold_are_answered(tmp_path, path, query):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    url = f"{path}?{urlencode(query)}"
    for digits in ("1", "4", ""):
        with logged() as records:
            answered(post_signed(signer, url, [("CallSid", "CA" + "3" * 32), ("Digits", digits)]), url, records)
    assert booking_rows(app) == []


def test_replayed_voice_requests_are_answered_the_same_and_book_once(tmp_path):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    call = [("CallSid", "CA" + "4" * 32), ("From", CALLER), ("To", LINE)]
    named = "/voice/step?" + urlencode({"node": "appointments", "lang": "en", "miss": 0, "stage": dialog.NAME,
                                        "slot": 2, "page": 0, "offered": "1-2-3", "ref": 0})
    with logged() as records:
        root = answered(post_signed(signer, named, call + [("SpeechResult", "Ana Ruiz")]), named, records)
    readback = root.find("Gather").get("action")
    assert "stage=readback" in readback
    steps = [("/voice", []), (readback, [("Digits", "1")]), ("/voice/dial-done?lang=en", [("DialCallStatus", "busy")])]
    first = [post_signed(signer, url, call + extra) for url, extra in steps]
    again = [post_signed(signer, url, call + extra) for url, extra in steps]
    for response in first + again:
        assert_twiml(response, voice=True)
    assert first[0].data == again[0].data and first[2].data == again[2].data
    (booking,) = booking_rows(app)
    assert booking.name == "Ana Ruiz" and booking.slot_id == 2


# ---- SMS ---------------------------------------------------------------------------------------

def sms_pairs(body: str, number: str = CALLER, sid: int = 0) -> list[tuple[str, str]]:
    return [("MessageSid", f"SM{sid:032d}"), ("AccountSid", "AC" + "0" * 32), ("From", number), ("To", LINE),
            ("Body", body), ("NumMedia", "0")]


def reply_of(root: ET.Element) -> str | None:
    messages = root.findall("Message")
    assert len(messages) <= 1
    return "".join(messages[0].itertext()) if messages else None


def assert_sane_session(app, number: str = CALLER) -> None:
    row = session_row(app, number)
    if row is not None:
        assert row.node in FLOW.nodes and row.lang in FLOW.languages and 0 <= row.misses


def test_any_sms_request_gets_a_twiml_response(tmp_path):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)

    @BOUNDED
    @given(form=forms(SMS_FIELDS))
    def check(form):
        with logged() as records:
            root = answered(post_signed(signer, "/sms", form), "/sms", records)
        assert root is None or [child.tag for child in root] in ([], ["Message"])
        assert_sane_session(app)

    check()


def test_a_texter_sending_hostile_texts_still_gets_sane_replies_and_opt_outs_hold(tmp_path):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    main_menu = FLOW.nodes[FLOW.line.start].options[0].label["en"]
    numbers = iter(range(10 ** 9))  # a new texter for each example

    @BOUNDED
    @given(bodies=st.lists(hostile_text, min_size=1, max_size=6), stop_at=st.integers(0, 6))
    def check(bodies, stop_at):
        number = f"+1502{next(numbers):07d}"
        opted_out = False  # what the texter asked for, keyword by keyword
        bodies = bodies[:stop_at] + ["STOP"] + bodies[stop_at:]
        for i, body in enumerate(bodies):
            with logged() as records:
                root = answered(post_signed(signer, "/sms", sms_pairs(body, number, i)), "/sms", records)
            reply = reply_of(root)
            control = control_word(as_received(form_body([("Body", body)]))["Body"][:1600])
            was_out = opted_out
            opted_out = {"stop": True, "start": False, "yes": False}.get(control, opted_out)
            if was_out and opted_out:  # nothing but one confirmation, and START, gets a reply
                assert reply is None, f"{body!r} after STOP got {reply!r}"
            else:
                assert reply, f"{body!r} got no reply"
            assert_sane_session(app, number)
        final = post_signed(signer, "/sms", sms_pairs("MENU", number, 99))
        if opted_out:
            assert reply_of(assert_twiml(final, voice=False)) is None
        else:
            assert main_menu.lower() in reply_of(assert_twiml(final, voice=False)).lower()
        assert booking_rows(app) == []  # no YES step was ever reached

    check()


def test_hostile_texts_in_the_middle_of_a_booking_never_book_without_yes(tmp_path):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    numbers = iter(range(10 ** 9))

    @BOUNDED
    @given(noise=st.lists(hostile_text, max_size=4), at=st.sampled_from(["choose", "name", "readback"]))
    def check(noise, at):
        number = f"+1502{next(numbers):07d}"
        texter = Texter(signer, number=number)
        walk = ["BOOK", "1", "Ana Ruiz"]
        for body in walk[: ["choose", "name", "readback"].index(at) + 1]:
            texter.send(body)
        before = len(booking_rows(app))
        for i, body in enumerate(noise):
            row = session_row(app, number)
            stage = (row.data or {}).get("stage") if row is not None else None
            with logged() as records:
                answered(post_signed(signer, "/sms", sms_pairs(body, number, i)), "/sms", records)
            made = booking_rows(app)[before:]
            if made:  # only an answer to the read-back question books, for the name given
                assert stage == dialog.READBACK and len(made) == 1 and made[0].name.strip()
                before += 1
            assert_sane_session(app, number)

    check()


def test_a_replayed_text_is_answered_again_and_books_once(tmp_path):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    texter = Texter(signer)
    for body in ("BOOK", "1", "Ana Ruiz"):
        texter.send(body)
    yes = sms_pairs("YES", sid=7)
    first, again = post_signed(signer, "/sms", yes), post_signed(signer, "/sms", yes)
    assert "booked" in reply_of(assert_twiml(first, voice=False)).lower()
    assert reply_of(assert_twiml(again, voice=False))  # answered, not an error
    assert len(booking_rows(app)) == 1
    stop = sms_pairs("STOP", sid=8)
    assert reply_of(assert_twiml(post_signed(signer, "/sms", stop), voice=False))
    assert reply_of(assert_twiml(post_signed(signer, "/sms", stop), voice=False)) is None  # one confirmation
    assert texter.send("MENU") is None


@pytest.mark.parametrize("kind", ["json", "text", "none", "multipart"])
@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_body_that_is_not_a_form_is_answered_as_a_request_with_no_fields(tmp_path, path, kind):
    """Signed over what the app reads of it: nothing (a multipart body: its fields, not its file)."""
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    fields = {"Body": "MENU", "CallSid": "CA" + "2" * 32, "Digits": "1"}
    bodies = {"json": ('{"Body": "MENU"}', "application/json"), "text": ("Body=MENU", "text/plain"),
              "none": (b"\x00\xff" * 100, None)}
    signed = fields if kind == "multipart" else {}
    headers = {"X-Twilio-Signature": signer.validator.compute_signature(BASE_URL + path, signed)}
    with logged() as records:
        if kind == "multipart":
            data = {**fields, "MediaUrl0": (io.BytesIO(b"\x89PNG" + bytes(range(256))), "x.png")}
            response = signer.client.post(path, data=data, base_url=BASE_URL, headers=headers)
        else:
            body, content_type = bodies[kind]
            response = signer.client.post(path, data=body, content_type=content_type, base_url=BASE_URL,
                                          headers=headers)
        answered(response, path, records)


# ---- unsigned and oversized --------------------------------------------------------------------

def test_unsigned_or_wrongly_signed_hostile_requests_are_refused(tmp_path):
    app = hostile_app(tmp_path)
    client = app.test_client()

    @settings(max_examples=60, deadline=None, derandomize=True)
    @given(url=step_urls(tuple(WEBHOOKS)), form=forms(SMS_FIELDS),
           signature=st.one_of(st.none(), st.text(SIGNATURE_CHARACTERS, max_size=40)))
    def check(url, form, signature):
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        response = client.post(url, data=form_body(form), content_type="application/x-www-form-urlencoded",
                               base_url=BASE_URL, headers=headers)
        assert response.status_code == 403

    check()
    assert booking_rows(app) == [] and session_row(app, CALLER) is None


SIGNATURE_CHARACTERS = st.characters(codec="latin-1", exclude_characters="\r\n\x00")


def oversized_pairs(path: str) -> list[tuple[str, str]]:
    fields = SMS_FIELDS if path == "/sms" else VOICE_FIELDS
    return list(fields.items()) + [("Body" if path == "/sms" else "SpeechResult", "x" * MAX_REQUEST_BYTES)]


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_body_over_the_limit_gets_413_before_the_signature_is_checked(tmp_path, path, signed):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    pairs = oversized_pairs(path)
    with logged() as records:
        if signed:
            response = post_signed(signer, path, pairs)
        else:
            response = signer.client.post(path, data=form_body(pairs), base_url=BASE_URL,
                                          content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert records.errors() == [] and not any("rejected" in r.getMessage() for r in records.records)


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_streamed_body_over_the_limit_gets_413_not_a_silently_cut_form(tmp_path, path):
    """Chunked, without Content-Length (gunicorn marks such input as terminated)."""
    app = hostile_app(tmp_path)
    body = form_body(oversized_pairs(path))
    response = app.test_client().post(path, input_stream=io.BytesIO(body), base_url=BASE_URL,
                                      content_type="application/x-www-form-urlencoded",
                                      headers={"Transfer-Encoding": "chunked"},
                                      environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_streamed_body_under_the_limit_is_read_whole_and_answered(tmp_path, path):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    fields = SMS_FIELDS if path == "/sms" else VOICE_FIELDS
    pairs = list(fields.items()) + [("Padding", "p" * (MAX_REQUEST_BYTES // 2))]
    body = form_body(pairs)
    signature = signer.validator.compute_signature(BASE_URL + path, as_received(body))
    response = signer.client.post(path, input_stream=io.BytesIO(body), base_url=BASE_URL,
                                  content_type="application/x-www-form-urlencoded",
                                  headers={"Transfer-Encoding": "chunked", "X-Twilio-Signature": signature},
                                  environ_overrides={"wsgi.input_terminated": True})
    assert_twiml(response, voice=path.startswith("/voice"))


@pytest.mark.parametrize("path", WEBHOOKS)
def test_the_largest_body_twilio_sends_is_answered(tmp_path, path):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    fields = SMS_FIELDS if path == "/sms" else VOICE_FIELDS
    pairs = [(k, v) for k, v in fields.items() if k != "Body"] + [("Body", "\U0001f4a5" * 1600)]  # 1600, 4 bytes each
    with logged() as records:
        answered(post_signed(signer, path, pairs), path, records)


@pytest.mark.parametrize("caller", [None, "+1" + "5" * 40], ids=["no-From", "long-From"])
@pytest.mark.parametrize("channel", ["voice", "sms"])
def test_a_yes_without_a_usable_caller_number_fails_softly(tmp_path, channel, caller):
    app = hostile_app(tmp_path)
    signer = Signer(app.test_client(), AUTH_TOKEN)
    sender = [] if caller is None else [("From", caller)]
    with logged() as records:
        if channel == "voice":
            call = [("CallSid", "CA" + "6" * 32)] + sender
            named = "/voice/step?" + urlencode({"node": "appointments", "lang": "en", "miss": 0, "stage": dialog.NAME,
                                                "slot": 2, "page": 0, "offered": "1-2-3", "ref": 0})
            root = assert_twiml(post_signed(signer, named, call + [("SpeechResult", "Ana Ruiz")]), voice=True)
            readback = root.find("Gather").get("action")
            assert_twiml(post_signed(signer, readback, call + [("Digits", "1")]), voice=True)
        else:
            for i, body in enumerate(["BOOK", "1", "Ana Ruiz", "YES"]):
                pairs = [(k, v) for k, v in sms_pairs(body, sid=i) if k != "From"] + sender
                assert_twiml(post_signed(signer, "/sms", pairs), voice=False)
    assert records.errors() == []
