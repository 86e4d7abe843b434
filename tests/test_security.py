"""Only Twilio may post to the webhooks: X-Twilio-Signature on the exact URL, and safe settings."""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import pytest
from twilio.request_validator import RequestValidator

from ivr.app import create_app
from ivr.config import ConfigError

from conftest import AUTH_TOKEN, make_config

LOCAL = "http://localhost"  # where the test client's requests arrive
PUBLIC = "https://ivr.clinic.example"  # what Twilio is told, behind a proxy

PARAMS = {
    "/voice": {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15025550123",
               "To": "+15025550100", "CallStatus": "ringing", "Direction": "inbound"},
    "/sms": {"MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15025550123",
             "To": "+15025550100", "Body": "hi", "NumMedia": "0"},
}
WEBHOOKS = list(PARAMS)


def sign(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def post(client, path: str, params: dict, signature: str | None):
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return client.post(path, data=params, headers=headers, base_url=LOCAL)


def assert_twiml(response) -> ET.Element:
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response" and len(root) > 0
    return root


@pytest.mark.parametrize("path", WEBHOOKS)
def test_correctly_signed_request_is_answered(client, path):
    params = PARAMS[path]
    assert_twiml(post(client, path, params, sign(LOCAL + path, params)))


def _missing(path, params):
    return params, None


def _wrong_token(path, params):
    return params, sign(LOCAL + path, params, token="not-the-auth-token-at-all")


def _tampered(path, params):
    return {**params, "From": "+15025550666"}, sign(LOCAL + path, params)


def _extra_parameter(path, params):
    return {**params, "Extra": "1"}, sign(LOCAL + path, params)


def _other_url(path, params):
    other = next(p for p in WEBHOOKS if p != path)
    return params, sign(LOCAL + other, params)


def _garbage(path, params):
    return params, "bm90IGEgc2lnbmF0dXJl"


@pytest.mark.parametrize("forge", [_missing, _wrong_token, _tampered, _extra_parameter, _other_url, _garbage],
                         ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("path", WEBHOOKS)
def test_badly_signed_request_is_refused(client, path, forge):
    params, signature = forge(path, PARAMS[path])
    response = post(client, path, params, signature)
    assert response.status_code == 403
    assert b"<Response" not in response.data


# ---- behind a proxy: PUBLIC_BASE_URL ---------------------------------------------------------

STEP = "/voice/step?node=main&lang=en&miss=0"


@pytest.fixture
def proxied_client(tmp_path):
    return create_app(make_config(tmp_path, PUBLIC_BASE_URL=PUBLIC)).test_client()


@pytest.mark.parametrize("path, params", [
    (STEP, {**PARAMS["/voice"], "Digits": "1", "CallStatus": "in-progress"}),
    ("/voice", PARAMS["/voice"]),
    ("/sms", PARAMS["/sms"]),
])
def test_signature_on_the_public_url_is_accepted(proxied_client, path, params):
    assert_twiml(post(proxied_client, path, params, sign(PUBLIC + path, params)))


@pytest.mark.parametrize("signed_url", [
    LOCAL + STEP,  # the URL the app sees, not the one Twilio used
    PUBLIC + "/voice/step",  # query left out
    PUBLIC + "/voice/step?lang=en&node=main&miss=0",  # query not as sent
    "http://ivr.clinic.example" + STEP,  # another scheme
])
def test_signature_on_any_other_url_is_refused_behind_a_proxy(proxied_client, signed_url):
    params = {**PARAMS["/voice"], "Digits": "1", "CallStatus": "in-progress"}
    assert post(proxied_client, STEP, params, sign(signed_url, params)).status_code == 403


# ---- settings --------------------------------------------------------------------------------

def test_development_without_signature_checks_accepts_unsigned_requests_and_warns(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        app = create_app(make_config(tmp_path, IVR_ENV="development", VERIFY_SIGNATURES=False))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("signature" in w.lower() for w in warnings), warnings
    client = app.test_client()
    for path in WEBHOOKS:
        assert_twiml(post(client, path, PARAMS[path], None))


def test_development_without_auth_token_warns_and_refuses_everything(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        app = create_app(make_config(tmp_path, IVR_ENV="development", TWILIO_AUTH_TOKEN=""))
    assert any("TWILIO_AUTH_TOKEN" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    client = app.test_client()
    for path in WEBHOOKS:
        assert post(client, path, PARAMS[path], sign(LOCAL + path, PARAMS[path], token="")).status_code == 403


# What production needs besides the signature check: a random SECRET_KEY and the public URL.
SAFE_PRODUCTION = {"SECRET_KEY": "0f1e2d3c4b5a69788796a5b4c3d2e1f0aa55aa55", "PUBLIC_BASE_URL": LOCAL}


@pytest.mark.parametrize("overrides, complaint", [
    ({"VERIFY_SIGNATURES": False}, "TWILIO_VERIFY_SIGNATURES"),
    ({"TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN"),
])
def test_production_refuses_to_start_without_signature_checks(tmp_path, overrides, complaint):
    with pytest.raises(ConfigError, match=complaint):
        create_app(make_config(tmp_path, IVR_ENV="production", **{**SAFE_PRODUCTION, **overrides}))


def test_production_with_token_and_checks_starts_and_checks_signatures(tmp_path):
    client = create_app(make_config(tmp_path, IVR_ENV="production", **SAFE_PRODUCTION)).test_client()
    for path in WEBHOOKS:
        assert post(client, path, PARAMS[path], None).status_code == 403
        assert_twiml(post(client, path, PARAMS[path], sign(LOCAL + path, PARAMS[path])))


# ---- shared keys: Twilio's Webhook Rules sign with a key's secret and HMAC-SHA256 ----------

SHARED = "shared-key-secret-new"
OLD_SHARED = "shared-key-secret-old"
SETTINGS = "X-Twilio-Webhooks-Signature-Settings"


def shared_sign(url: str, params: dict, secret: str, algorithm: str = "HMAC_SHA256") -> str:
    return RequestValidator(secret).compute_signature(url, params, algorithm)


def post_shared(client, path, params, signature, algorithm="HMAC_SHA256", key="webhooks_sharedkey_01"):
    headers = {"X-Twilio-Signature": signature, SETTINGS: f"key={key},algorithm={algorithm}"}
    return client.post(path, data=params, headers=headers, base_url=LOCAL)


@pytest.fixture
def shared_client(tmp_path):
    app = create_app(make_config(tmp_path, TWILIO_SHARED_KEY_SECRETS=[OLD_SHARED, SHARED]))
    return app.test_client()


@pytest.mark.parametrize("path", WEBHOOKS)
@pytest.mark.parametrize("secret", [SHARED, OLD_SHARED])  # either key, mid-rotation
def test_shared_key_signature_is_answered(shared_client, path, secret):
    params = PARAMS[path]
    assert_twiml(post_shared(shared_client, path, params, shared_sign(LOCAL + path, params, secret)))


@pytest.mark.parametrize("path", WEBHOOKS)
def test_shared_key_header_with_sha1_and_the_key(shared_client, path):
    params = PARAMS[path]
    signature = shared_sign(LOCAL + path, params, SHARED, "HMAC_SHA1")
    assert_twiml(post_shared(shared_client, path, params, signature, algorithm="HMAC_SHA1"))


@pytest.mark.parametrize("path", WEBHOOKS)
def test_shared_key_signatures_that_must_fail(shared_client, path):
    params = PARAMS[path]
    good = shared_sign(LOCAL + path, params, SHARED)
    assert post_shared(shared_client, path, {**params, "From": "+15025550666"}, good).status_code == 403
    assert post_shared(shared_client, path, params, shared_sign(LOCAL + path, params, "guessed")).status_code == 403
    # the algorithm named must be the one used
    assert post_shared(shared_client, path, params, good, algorithm="HMAC_SHA1").status_code == 403
    assert post_shared(shared_client, path, params, good, algorithm="HMAC_MD5").status_code == 403
    # the SHA-256 signature without the header is checked as the Auth Token's SHA-1: refused
    assert post(shared_client, path, params, good).status_code == 403
    # and a shared key's signature is no good on another URL
    other = shared_sign(LOCAL + "/elsewhere", params, SHARED)
    assert post_shared(shared_client, path, params, other).status_code == 403


@pytest.mark.parametrize("path", WEBHOOKS)
def test_auth_token_still_works_beside_shared_keys(shared_client, path):
    params = PARAMS[path]
    assert_twiml(post(shared_client, path, params, sign(LOCAL + path, params)))
    # the Auth Token with the header's algorithm (a Setting without a key of its own)
    assert_twiml(post_shared(shared_client, path, params, shared_sign(LOCAL + path, params, AUTH_TOKEN)))


def test_shared_key_request_without_a_configured_secret_is_refused_and_says_why(client, caplog):
    params = PARAMS["/sms"]
    caplog.set_level(logging.WARNING, logger="ivr.security")
    response = post_shared(client, "/sms", params, shared_sign(LOCAL + "/sms", params, SHARED))
    assert response.status_code == 403
    assert any("TWILIO_SHARED_KEY_SECRET" in record.getMessage() for record in caplog.records)
    assert not any(SHARED in record.getMessage() for record in caplog.records)


def test_shared_key_secrets_are_read_from_the_environment(monkeypatch, tmp_path):
    from ivr.config import from_env

    monkeypatch.setenv("TWILIO_SHARED_KEY_SECRET", f" {OLD_SHARED} , {SHARED},")
    assert from_env(str(tmp_path))["TWILIO_SHARED_KEY_SECRETS"] == [OLD_SHARED, SHARED]
    monkeypatch.delenv("TWILIO_SHARED_KEY_SECRET")
    assert from_env(str(tmp_path))["TWILIO_SHARED_KEY_SECRETS"] == []


# ---- held up under review: keep it so -------------------------------------------------------

def webhook_paths(app) -> list[str]:
    """Every path the webhook blueprints answer (a new one is covered without editing this)."""
    return sorted({rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in ("voice", "sms")})


def test_every_webhook_path_refuses_unsigned_and_wrongly_signed_requests(app, client):
    paths = webhook_paths(app)
    assert {"/voice", "/voice/step", "/voice/node", "/voice/dial-done", "/sms"} <= set(paths)
    for path in paths:
        params = PARAMS["/sms" if path.startswith("/sms") else "/voice"]
        url = path + "?node=main&lang=en&miss=0"
        assert post(client, url, params, None).status_code == 403, path
        assert post(client, url, params, sign(LOCAL + url, params, token="guessed")).status_code == 403, path
        assert post(client, url, params, sign(LOCAL + url, params)).status_code == 200, path


@pytest.mark.parametrize("field, value", [("CallSid", "CA" + "2" * 32), ("From", "+15025550177"),
                                          ("StirVerstat", "TN-Validation-Passed-A")])
def test_a_replayed_call_request_with_another_field_is_refused(client, field, value):
    params = PARAMS["/voice"]
    signature = sign(LOCAL + "/voice", params)
    assert_twiml(post(client, "/voice", params, signature))  # the replay as captured is Twilio's own
    assert post(client, "/voice", {**params, field: value}, signature).status_code == 403


def test_stop_blocks_every_kind_of_text_the_line_sends(app, texter):
    from ivr.messaging.texts import queue_text
    from ivr.services.notices import CANCEL_CHECK, CANCELLATION, CONFIRMATION

    texter.send("STOP")
    with app.app_context():
        kinds = [CONFIRMATION, CANCELLATION, CANCEL_CHECK, "content"]
        assert [queue_text(texter.number, "a text", kind).status for kind in kinds] == ["blocked"] * len(kinds)
    assert app.extensions["ivr"].outbox.depth() == 0
