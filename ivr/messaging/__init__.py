"""Texts the line sends on its own (not replies to a webhook): written to the outbox, then
delivered with Twilio's REST API by a background worker or `ivr outbox send`.

- `texts.queue_text` / `texts.send_text`: what webhooks call to send a text.
- `sender.OutboxSender`: sends due outbox rows and sorts Twilio's answers (sent, retry,
  failed, opted out).
- `leases.LeaseKeeper`: renews the lease on each row a sender holds, while it sends.
- `worker.OutboxWorker`: the background thread that delivers due texts every few seconds.
"""

from .texts import queue_text, send_text

__all__ = ["queue_text", "send_text"]
