"""Changing what the line says in the console, without a browser: drafts, field and structure
edits, two editors at once, checks while typing, trying a draft, publishing it to the real
webhooks, conflicts with what was published meanwhile, history and rollback."""
from __future__ import annotations

import html
import re

import pytest

from ivr.app import create_app
from ivr.simulate.phone import Phone, Signer
from ivr.storage.tables import bookings

from conftest import AUTH_TOKEN, make_config
from console_client import Clock, StaffBrowser, accounts, make_staff

EDITOR, OTHER, VIEWER = "editor@clinic.example", "other@clinic.example", "viewer@clinic.example"
NEW_EN = "Good habits protect your back. Lift the right way."
NEW_ES = "Los buenos hábitos protegen su espalda. Levante bien."


@pytest.fixture
def app(tmp_path):
    clock = Clock()
    app = create_app(make_config(tmp_path, CLOCK=clock))
    app.extensions["console"].config["CLOCK"] = clock
    make_staff(app, EDITOR, "editor")
    make_staff(app, OTHER, "editor")
    make_staff(app, VIEWER, "viewer")
    return app


def signed_in(app, email: str = EDITOR) -> StaffBrowser:
    browser = StaffBrowser(app)
    assert browser.sign_in(email).status_code == 302
    return browser


def start_draft(browser: StaffBrowser, note: str = "wording") -> int:
    response = browser.post("/console/drafts", {"note": note}, token_from="/console/drafts")
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def node_form(browser: StaffBrowser, draft: int, node: str) -> dict:
    """The node's form as a browser would submit it, unchanged."""
    page = browser.get(f"/console/drafts/{draft}/nodes/{node}").get_data(as_text=True)
    form = {name: html.unescape(value) for name, value in
            re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page)}
    inputs = re.findall(r'<input[^>]*name="(option\.[^"]+)" value="([^"]*)"', page)
    form.update({name: html.unescape(value) for name, value in inputs})
    selected = r'<select[^>]*name="(option\.[^"]+\.goto)"[^>]*>.*?<option value="([^"]+)" selected'
    chosen = re.findall(selected, page, re.S)
    form.update(dict(chosen))
    form["revision"] = re.search(r'name="revision" value="(\d+)"', page).group(1)
    return form


def save_node(browser, draft: int, node: str, **changes) -> object:
    form = node_form(browser, draft, node)
    form.update({key.replace("__", "."): value for key, value in changes.items()})
    return browser.post(f"/console/drafts/{draft}/nodes/{node}", form, token_from=f"/console/drafts/{draft}")


def flashed(browser, path: str) -> str:
    return " ".join(re.findall(r'<div class="flash"[^>]*>(.*?)</div>', browser.get(path).get_data(as_text=True), re.S))


def revision_of(browser, path: str) -> str:
    return re.search(r'name="revision" value="(\d+)"', browser.get(path).get_data(as_text=True)).group(1)


def publish(browser, draft: int, note: str = "new words"):
    rev = revision_of(browser, f"/console/drafts/{draft}/publish")
    return browser.post(f"/console/drafts/{draft}/publish", {"note": note, "revision": rev},
                        token_from=f"/console/drafts/{draft}/publish")


def heard_at_prevention(app) -> str:
    """What a caller hears on the prevention page, through the real signed /voice webhook (after the
    server's next look at what is published: every worker looks twice a second)."""
    app.extensions["ivr"].flows.look_now()
    phone = Phone(Signer(app.test_client(), AUTH_TOKEN))
    phone.call()
    phone.press("1")
    return phone.press("4").text


# ---- drafts and edits -----------------------------------------------------------------------------------

def test_an_edit_in_both_languages_reaches_callers_only_once_published(app):
    browser = signed_in(app)
    before = heard_at_prevention(app)
    draft = start_draft(browser)
    assert save_node(browser, draft, "prevention", say__en=NEW_EN, say__es=NEW_ES).status_code == 303
    assert "Saved to the draft." in flashed(browser, f"/console/drafts/{draft}/nodes/prevention")
    assert heard_at_prevention(app) == before  # callers hear nothing of a draft
    review = browser.get(f"/console/drafts/{draft}/publish").get_data(as_text=True)
    assert html.escape(NEW_EN) in review and html.escape(NEW_ES) in review and "<del>" in review
    assert publish(browser, draft).status_code == 303
    assert NEW_EN in heard_at_prevention(app)
    actions = [e.action for e in accounts(app).audit.page(20) if e.actor == EDITOR]
    assert {"draft.start", "draft.edit", "flows.publish"} <= set(actions)


def test_two_editors_on_one_draft_never_silently_overwrite_each_other(app):
    first, second = signed_in(app), signed_in(app, OTHER)
    draft = start_draft(first)
    stale = node_form(second, draft, "prevention")  # the second editor opens the page
    save_node(first, draft, "prevention", say__en=NEW_EN)
    stale["say.en"] = "A different sentence from the second editor."
    refused = second.post(f"/console/drafts/{draft}/nodes/prevention", stale, token_from=f"/console/drafts/{draft}")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Not saved" in page and EDITOR in page and "since you opened it" in page
    assert "A different sentence from the second editor." in page  # what they typed, shown, not lost
    assert html.escape(NEW_EN) in page  # and the first editor's save, kept
    saved = app.extensions["ivr"].flow_drafts.get(draft).files["prevention.yaml"].decode()
    assert NEW_EN in saved and "second editor" not in saved


def test_a_draft_with_errors_is_saved_but_cannot_be_published(app):
    browser = signed_in(app)
    draft = start_draft(browser)
    page = browser.get(f"/console/drafts/{draft}/files/main.yaml").get_data(as_text=True)
    text = html.unescape(re.search(r'<textarea id="content"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    broken = text.replace("goto: treatment", "goto: treatmnt", 1)
    rev = revision_of(browser, f"/console/drafts/{draft}/files/main.yaml")
    browser.post(f"/console/drafts/{draft}/files/main.yaml", {"content": broken, "revision": rev},
                 token_from=f"/console/drafts/{draft}")
    shown = browser.get(f"/console/drafts/{draft}/files/main.yaml").get_data(as_text=True)
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "treatmnt" in text)
    assert f'href="#line-{line}"' in shown and "treatmnt" in shown and "is not defined" in shown
    assert "treatmnt" in shown.split('id="content"')[1]  # what was typed is kept
    review = browser.get(f"/console/drafts/{draft}/publish").get_data(as_text=True)
    assert "Errors: these stop it being published" in review and "disabled" in review
    assert publish(browser, draft).status_code == 303
    assert "Not published" in flashed(browser, "/console/drafts")
    assert app.extensions["ivr"].versions.live().number == 1


def test_options_are_added_moved_and_removed_and_a_page_added(app):
    browser = signed_in(app)
    draft = start_draft(browser)
    options = f"/console/drafts/{draft}/nodes/treatment/options"

    def change(**form):
        form["revision"] = revision_of(browser, f"/console/drafts/{draft}/nodes/treatment")
        return browser.post(options, form, token_from=f"/console/drafts/{draft}")

    change(action="down", key="1")
    keys = [o.key for o in _node(app, draft, "treatment").options]
    assert keys[:2] == ["2", "1"]
    change(action="remove", key="3")
    assert "3" not in [o.key for o in _node(app, draft, "treatment").options]
    form = {"parent": "treatment", "key": "3", "id": "exercise", "type": "page", "title.en": "Exercise",
            "title.es": "Ejercicio", "say.en": "Gentle exercise can help.", "say.es": "El ejercicio suave ayuda.",
            "revision": revision_of(browser, f"/console/drafts/{draft}")}
    added = browser.post(f"/console/drafts/{draft}/nodes", form, token_from=f"/console/drafts/{draft}")
    assert added.status_code == 303
    added = _node(app, draft, "exercise")
    assert added.texts["say"] == {"en": "Gentle exercise can help.", "es": "El ejercicio suave ayuda."}
    assert ("3", "exercise") in [(o.key, o.goto) for o in _node(app, draft, "treatment").options]
    removal = browser.post(f"/console/drafts/{draft}/nodes/exercise/remove",
                           {"revision": revision_of(browser, f"/console/drafts/{draft}")},
                           token_from=f"/console/drafts/{draft}")
    assert removal.status_code == 303 and "remove the options that lead here first" in flashed(
        browser, f"/console/drafts/{draft}/nodes/exercise")


def _node(app, draft: int, node_id: str):
    from ivr.console.draft_view import draft_view

    got = app.extensions["ivr"].flow_drafts.get(draft)
    return draft_view(got.files, got.problems).node(node_id)


def test_the_checks_while_typing_name_a_curly_quote_and_count_parts_and_seconds(app):
    browser = signed_in(app)
    token = browser.token("/console/drafts")
    result = browser.client.post("/console/drafts/check", headers={"X-CSRFToken": token},
                                 json={"text": "Call us \u2019now\u2019.", "lang": "en", "kind": "sms"}).get_json()
    assert result["unusual"][0]["code"] == "U+2019" and result["unusual"][0]["sent_as"] == "'"
    assert result["parts"] == 1 and "GSM-7" in result["notes"][0]
    long = browser.client.post("/console/drafts/check", headers={"X-CSRFToken": token},
                               json={"text": "word " * 200, "lang": "en", "kind": "say"}).get_json()
    assert long["seconds"] == 75.0 and long["parts"] > 3
    no_token = browser.client.post("/console/drafts/check", json={"text": "x", "kind": "say"})
    assert no_token.status_code == 400


# ---- trying ------------------------------------------------------------------------------------------------

def test_a_draft_is_tried_through_the_real_webhooks_without_booking_anyone(app):
    browser = signed_in(app)
    draft = start_draft(browser)
    save_node(browser, draft, "prevention", say__en=NEW_EN)
    token = browser.token(f"/console/drafts/{draft}/try")
    voice = browser.client.post(f"/console/drafts/{draft}/try/voice", headers={"X-CSRFToken": token},
                                json={"inputs": ["1", "4"]}).get_json()["turns"]
    assert voice[0]["said"][0]["lang"] == "en-US" and voice[-1]["said"][0]["text"] == NEW_EN
    assert voice[-1]["said"][0]["seconds"] > 0
    booked = browser.client.post(f"/console/drafts/{draft}/try/voice", headers={"X-CSRFToken": token},
                                 json={"inputs": ["1", "5", "1", "1", "say Ana Ruiz", "1"]}).get_json()["turns"]
    assert any("book" in s["text"].lower() for s in booked[-1]["said"])
    with app.extensions["ivr"].db.begin() as conn:
        assert conn.execute(bookings.select()).all() == []  # the practice copy booked, the line did not
    chat = browser.client.post(f"/console/drafts/{draft}/try/sms", headers={"X-CSRFToken": token},
                               json={"inputs": ["hi", "4"]}).get_json()["turns"]
    assert chat[-1]["said"][0]["parts"] >= 1 and NEW_EN.split(".")[0] not in chat[0]["said"][0]["text"]


def test_a_draft_that_does_not_load_says_so_when_tried(app):
    browser = signed_in(app)
    draft = start_draft(browser)
    rev = revision_of(browser, f"/console/drafts/{draft}/files/main.yaml")
    browser.post(f"/console/drafts/{draft}/files/main.yaml", {"content": "nodes: [broken", "revision": rev},
                 token_from=f"/console/drafts/{draft}")
    token = browser.token(f"/console/drafts/{draft}/try")
    tried = browser.client.post(f"/console/drafts/{draft}/try/voice", headers={"X-CSRFToken": token},
                                json={"inputs": []})
    assert tried.status_code == 422 and "cannot be tried yet" in tried.get_json()["error"]


# ---- publishing, conflicts, history -------------------------------------------------------------------------

def test_a_change_published_meanwhile_is_merged_and_a_clash_is_chosen_by_a_person(app):
    mine, theirs = signed_in(app), signed_in(app, OTHER)
    slow = start_draft(mine, "mine")
    fast = start_draft(theirs, "theirs")
    save_node(theirs, fast, "prevention", say__en="Their sentence.", title__en="Staying well")
    publish(theirs, fast)
    save_node(mine, slow, "prevention", say__en="My sentence.")
    assert publish(mine, slow).status_code == 303
    assert "conflict" in flashed(mine, f"/console/drafts/{slow}/publish")
    review = mine.get(f"/console/drafts/{slow}/publish").get_data(as_text=True)
    assert "Changed in both places" in review and "Their sentence." in review and "My sentence." in review
    rev = revision_of(mine, f"/console/drafts/{slow}/publish")
    mine.post(f"/console/drafts/{slow}/conflicts/0", {"take": "mine", "revision": rev},
              token_from=f"/console/drafts/{slow}/publish")
    assert publish(mine, slow).status_code == 303
    heard = heard_at_prevention(app)
    assert "My sentence." in heard
    live = app.extensions["ivr"].versions
    assert b"Staying well" in live.files(live.live().number)["prevention.yaml"]  # their other change kept


def test_history_lists_every_version_and_a_rollback_brings_the_old_words_back(app):
    browser = signed_in(app)
    before = heard_at_prevention(app)
    draft = start_draft(browser)
    save_node(browser, draft, "prevention", say__en=NEW_EN)
    publish(browser, draft, "shorter prevention")
    history = browser.get("/console/history").get_data(as_text=True)
    assert "shorter prevention" in history and "(live)" in history and EDITOR in history
    page = browser.get("/console/versions/1").get_data(as_text=True)
    assert "Go back to this version" in page
    browser.post("/console/versions/1/rollback", {"note": "undo"}, token_from="/console/versions/1")
    assert heard_at_prevention(app) == before
    assert app.extensions["ivr"].versions.live().number == 3
    assert "the content of version 1 again" in browser.get("/console/history").get_data(as_text=True)


def test_a_viewer_reads_drafts_and_history_but_cannot_change_or_publish(app):
    editor = signed_in(app)
    draft = start_draft(editor)
    viewer = signed_in(app, VIEWER)
    page = viewer.get(f"/console/drafts/{draft}/nodes/prevention").get_data(as_text=True)
    assert "readonly" in page and "Save to the draft" not in page
    form = node_form(viewer, draft, "prevention")
    assert viewer.post(f"/console/drafts/{draft}/nodes/prevention", form,
                       token_from=f"/console/drafts/{draft}").status_code == 403
    assert "Publish:" not in viewer.get(f"/console/drafts/{draft}/publish").get_data(as_text=True)
    assert viewer.post(f"/console/drafts/{draft}/publish", {"revision": form["revision"]},
                       token_from=f"/console/drafts/{draft}").status_code == 403
    assert viewer.post("/console/versions/1/rollback", {}, token_from="/console/history").status_code == 403
    assert viewer.get(f"/console/drafts/{draft}/try").status_code == 403
