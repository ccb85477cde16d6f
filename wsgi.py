"""WSGI entry point: `gunicorn wsgi:app`."""

import gc

from patrol import create_app

app = create_app()

# The garbage collector, tuned for a server (docs/performance.md, "Ingest through HTTP"):
# what the app holds once started (modules, the ORM's mappings, the zones) is frozen out of
# every later collection, and the youngest generation is collected every 20,000 allocations
# instead of 700. A 2,000-vertex report allocates ~15,000 objects (the parsed JSON), which
# otherwise set off a score of collections per request: 2-3 ms of its ~16 ms of CPU. What is
# freed by reference counting (nearly everything a request makes) is freed as before.
gc.freeze()
gc.set_threshold(20_000, 10, 10)
