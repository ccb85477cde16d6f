"""WSGI entry point: `gunicorn wsgi:app`."""

from patrol import create_app, server_gc

app = create_app()

# The garbage collector, tuned for a server: the started app frozen out of collections, the
# youngest generation collected every 20,000 allocations (patrol/server_gc.py says why).
server_gc.tune()
