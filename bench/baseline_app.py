"""The baseline: a bare Flask endpoint answering a constant TwiML document.

Served by the same gunicorn command and settings as the real app (`gunicorn bench.baseline_app:app`),
it measures what the server, Flask and the load driver cost on their own; every scenario's
throughput is reported as a ratio to it, measured in the same run.
"""
from flask import Flask, Response

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/step?node=main&amp;lang=en&amp;'
         'miss=0" input="dtmf speech" timeout="10"><Say language="en-US">For treatment options, press 3, '
         'or say treatment.</Say></Gather></Response>')

app = Flask(__name__)


@app.post("/twiml")
def twiml() -> Response:
    return Response(TWIML, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> Response:
    return Response("ok", mimetype="text/plain")
