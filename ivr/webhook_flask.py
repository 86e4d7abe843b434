"""Flask's per-request machinery, trimmed to what Twilio's webhooks use.

- No cookie session: Twilio sends no cookies back, and Flask's default session builds a
  signing serializer for every request once SECRET_KEY is set (a tenth of a menu step's time).
- A urlencoded body (every Twilio webhook) is parsed in one `parse_qsl`, as Werkzeug's own parser
  does, without the parser's general machinery around it. Other bodies go to Werkzeug.
"""
from __future__ import annotations

from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" error handler used below
from flask import Request
from flask.sessions import SessionInterface

FORM = "application/x-www-form-urlencoded"


class WebhookRequest(Request):
    def _load_form_data(self) -> None:
        if "form" in self.__dict__ or self.mimetype != FORM:
            return super()._load_form_data()
        try:  # Werkzeug's parse: undecodable escapes are kept as %XX, a non-UTF-8 body is no form
            items = parse_qsl(self.get_data(cache=True).decode(), keep_blank_values=True,
                              errors="werkzeug.url_quote")
        except ValueError:
            items = []
        self.__dict__["form"] = self.parameter_storage_class(items)
        self.__dict__["files"] = self.parameter_storage_class()


class NoSessions(SessionInterface):
    """Every request gets Flask's null session; nothing is read from or set in a cookie."""

    def open_session(self, app, request):
        return None

    def save_session(self, app, session, response) -> None:
        pass
