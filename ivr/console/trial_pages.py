"""Trying a draft: a phone in the browser (keys, words said, silence; each prompt read aloud by the
browser in its language) and a text chat, both running the draft through the real webhooks.

Each try replays the conversation so far in a trial of the line (simulate/trial.py): the real app
with the draft's files as its only version, on a throwaway database with sample slots, signature
checks on, no worker. Nothing is dialled, texted or booked for real, and no server remembers a
trial between requests, so it works behind a balancer like everything else.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from ..flow import FlowError
from ..lint.timing import seconds
from ..render.gsm import segments
from ..simulate.trial import InputError, Trial, trial_app
from ..storage.sample_slots import add_sample_slots
from ..storage.times import utcnow
from .drafts_pages import draft_or_404
from .roles import require

bp = Blueprint("trial", __name__, url_prefix="/drafts/<int:draft_id>/try")
MAX_INPUTS = 80  # a conversation replayed at a time
MAX_INPUT = 500


@bp.get("")
@require("edit_flows")
def phone(draft_id: int):
    draft = draft_or_404(draft_id)
    return render_template("console/trial.html", draft=draft)


@bp.post("/<channel>")
@require("edit_flows")
def replay(draft_id: int, channel: str):
    """JSON {inputs: [...]} -> every turn of the conversation with the draft, from its start."""
    if channel not in ("voice", "sms"):
        abort(404)
    inputs = (request.get_json(silent=True) or {}).get("inputs")
    if not isinstance(inputs, list) or len(inputs) > MAX_INPUTS or not all(isinstance(i, str) for i in inputs):
        return jsonify(error=f"send the inputs as a list of at most {MAX_INPUTS} texts"), 400
    draft = draft_or_404(draft_id)
    try:
        clock = current_app.config.get("CLOCK", utcnow)  # the console's own: the trial app has its own current_app
        make_app = current_app.extensions["console.make_app"]
        with trial_app(draft.files, make_app, quiet=False, overrides={"CLOCK": clock}) as (app, signer):
            svc = app.extensions["ivr"]
            add_sample_slots(svc.slots, clock(), ZoneInfo(app.config["CLINIC_TIMEZONE"]))
            return jsonify(turns=_converse(Trial(channel, signer), channel, inputs))
    except FlowError as error:
        return jsonify(error="The draft has errors, so it cannot be tried yet. Fix them first: "
                             + str(error).splitlines()[0]), 422


def _converse(trial: Trial, channel: str, inputs: list[str]) -> list[dict]:
    turns = [_turn("", trial.start(), channel)] if channel == "voice" else []
    for typed in inputs:
        typed = typed[:MAX_INPUT]
        if trial.over:
            break
        if channel == "sms" and not typed.strip():
            continue
        try:
            turns.append(_turn(typed, trial.enter(typed), channel))
        except InputError as error:
            turns.append({"you": typed, "error": str(error), "said": [], "waiting": trial.waiting})
    return turns


def _turn(typed: str, reply, channel: str) -> dict:
    if channel == "sms":
        return {"you": typed, "waiting": reply.waiting,
                "said": [{"text": text, "parts": segments(text)} for text in reply.sentences]}
    return {"you": typed, "waiting": reply.waiting,
            "said": [{"text": text, "lang": lang, "seconds": round(seconds(len(text.split())), 1)}
                     for text, lang in zip(reply.sentences, reply.languages)]}
