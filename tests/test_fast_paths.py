"""Each shortcut taken for speed gives exactly what the general code it skips would give."""
import io
import math
import unicodedata

from flask import session
from flask.sessions import NullSession, SecureCookieSessionInterface
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.wrappers import Request as WerkzeugRequest

from ivr import words as engine_text
from ivr.render import gsm
from ivr.webhook_flask import WebhookRequest


def codec_segments(body: str) -> int:
    """Billed parts counted with the gsm03.38 codec itself (what gsm.py did before its sets)."""
    try:
        units, single, multi = len(body.encode("gsm03.38")), gsm.GSM_SINGLE, gsm.GSM_MULTI
    except UnicodeEncodeError:
        units, single, multi = len(body.encode("utf-16-le")) // 2, gsm.UCS2_SINGLE, gsm.UCS2_MULTI
    return 1 if units <= single else math.ceil(units / multi)


def test_the_gsm7_sets_agree_with_the_codec_on_every_character():
    for point in range(0x10000):
        if 0xD800 <= point <= 0xDFFF:
            continue  # lone surrogates are no text
        ch = chr(point)
        try:
            units = len(ch.encode("gsm03.38"))
        except UnicodeEncodeError:
            units = 0
        assert gsm.is_gsm7(ch) == (units > 0), hex(point)
        assert (ch in gsm.GSM7_EXTENDED) == (units == 2), hex(point)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(sorted(gsm.GSM7) + list("áéñ€😀{}[]~")), max_size=600))
def test_segments_agree_with_the_codec(body):
    assert gsm.segments(body) == codec_segments(body)


def full_normalize(value: str) -> str:
    """normalize() without its ASCII shortcut."""
    value = unicodedata.normalize("NFKD", value or "")
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    value = engine_text._APOSTROPHES.sub("", value.lower())
    return engine_text._NOT_WORD.sub(" ", value).strip()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_normalize_gives_the_same_with_or_without_the_ascii_shortcut(value):
    assert engine_text.normalize(value) == full_normalize(value)


def form_of(request_class, body: bytes) -> list:
    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "SERVER_NAME": "test",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "PATH_INFO": "/sms"}
    return list(request_class(environ).form.items(multi=True))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300)
       | st.lists(st.tuples(st.text(max_size=12), st.text(max_size=30)), max_size=6).map(
           lambda pairs: "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8", "surrogatepass")))
def test_a_webhook_form_parses_as_werkzeug_parses_it(body):
    """Duplicated fields, bad escapes, undecodable bytes, binary bodies: the same fields."""
    assert form_of(WebhookRequest, body) == form_of(WerkzeugRequest, body)


def test_no_cookie_session_is_read_or_set(app, signer):
    """Flask's cookie session is off (it cost a signer per request): a validly signed session
    cookie is not read, and answers set none."""
    cookie = SecureCookieSessionInterface().get_signing_serializer(app).dumps({"seen": 1})
    with app.test_request_context("/voice", method="POST", headers={"Cookie": f"session={cookie}"}):
        assert isinstance(session, NullSession) and "seen" not in session
    answer = signer.post("/voice", {"CallSid": "CA1", "From": "+15025550123", "To": "+15025550100"})
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
