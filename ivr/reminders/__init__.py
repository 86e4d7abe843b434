"""Appointment reminders and the waitlist: work the line does later, on its own.

- `schedule.py`: when reminders go (REMINDER_HOURS), quiet hours, the clinic's days;
- `rules.py`: what is checked again when a reminder goes, and the caps on automated texts;
- `sending.py`: planning reminder rows and queueing the due ones, each exactly once;
- `offers.py`: joining the waitlist, offering freed times one person at a time, taking an offer;
- `replies.py`: what a texter's reply (C, R, N, YES ...) is about;
- `round.py`: one round of all of it, for the background worker and `ivr reminders run`.

The rows are storage's (storage/reminders.py, storage/waitlist.py); the texts are the flow's
(render/reminder_texts.py); the dialog that reads replies is booking/replies.py.
"""
