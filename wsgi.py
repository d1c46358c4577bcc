"""WSGI entry point: `flask --app wsgi ...`, `gunicorn wsgi:app`."""

from eventapp import create_app

app = create_app()
