"""WSGI entry point: `gunicorn wsgi:app`."""

from patrol import create_app

app = create_app()
