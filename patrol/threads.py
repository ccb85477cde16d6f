"""One BLAS thread per process, set before numpy loads (imported first by the package).

The server runs several workers on few cores; OpenBLAS threads spinning against each other
made the setting-rate fit 3.7x slower on a busy 2-core machine (0.75 s against 0.20 s,
docs/performance.md). An explicit OPENBLAS_NUM_THREADS in the environment still wins.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
