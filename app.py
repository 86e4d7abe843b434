"""The WSGI entry point: `gunicorn app:app` (see Procfile) or `flask --app app run`."""
from ivr.app import create_app

app = create_app()
