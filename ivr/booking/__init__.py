"""Appointments, as a conversation: the booking, cancelling and call-back dialog (dialog.py), how
times are said and written (timefmt.py), office hours (office_hours.py). Pure: the clinic's
calendar is reached through the Desk port the dialog defines (the real one: services/desk.py)."""
