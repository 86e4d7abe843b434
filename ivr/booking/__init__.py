"""Appointments: the booking dialog (dialog.py, pure), how times are said and written
(timefmt.py), office hours (office_hours.py), and the desk that does the booking (desk.py)."""
