"""Twilio channels: thin adapters between webhooks and the engine (voice.py, sms.py)."""
