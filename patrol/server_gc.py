"""The garbage collector, tuned for a server worker (docs/performance.md, "Ingest through
HTTP" and "Cold answers").

What the app holds once started (modules, the ORM's mappings, the zones) is frozen out of
every later collection, and the youngest generation is collected every 20,000 allocations
instead of 700. A 2,000-vertex report allocates ~15,000 objects (the parsed JSON), which
otherwise set off a score of collections per request: 2-3 ms of its ~16 ms of CPU. A
coordinator's answer allocates more, and without the freeze every few answers paid a full
collection over the whole heap: ~90 ms of a year's hotspot answer. What is freed by
reference counting (nearly everything a request makes) is freed as before.

``wsgi.py`` calls ``tune()`` once the app is created; the benchmarks that time answers as a
worker gives them call it too.
"""

from __future__ import annotations

import gc

__all__ = ["tune"]


def tune() -> None:
    """Freeze what is allocated now and collect the youngest generation less often."""
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
