"""The Twilio webhooks: POST /voice and its steps (voice.py), POST /sms (sms.py, with one text's
conversation in sms_conversation.py), and the signature check in front of both (twilio_auth.py).
Thin: they read Twilio's form, ask the engine, render its answer and keep what must last."""
