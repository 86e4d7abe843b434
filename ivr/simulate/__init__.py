"""Talking to the line as Twilio does, in-process: a phone (phone.py), a texter, and
conversation scripts (script.py) that tests replay and `ivr call`/`ivr text` record."""
