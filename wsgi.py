"""WSGI entry point: `gunicorn wsgi:app`."""

from patrol import create_app, server_gc
from patrol.app import preload

app = create_app()

# What the answers import on first use (scipy's statistics: ~0.7 s, which the command line
# need not pay), imported now: before the workers fork when gunicorn preloads the app, else at
# each worker's start; either way before its first answer, and frozen with the rest below.
preload()

# The garbage collector, tuned for a server: the started app frozen out of collections, the
# youngest generation collected every 20,000 allocations (patrol/server_gc.py says why).
server_gc.tune()
