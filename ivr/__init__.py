"""The spine health information line: Flask webhooks for Twilio voice and SMS.

The app is made by `ivr.app.create_app`; the layers, from the pure flow model and engine up to
the webhooks and the command line, are described in docs/architecture.md. This package's own
module stays empty so that importing the engine imports nothing of Flask or the database."""
