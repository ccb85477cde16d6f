"""Where test inputs live: the project's own fixtures, and the external corpus beside the repo.

The fixtures under tests/fixtures are written for this project and cover every branch of the
importers. The corpus in ../shared/samples (real files from other tools) is an extra check: its
tests run where it exists (CI has it; .ci/run fails if they were skipped) and are skipped with
the reason below in a clone that stands alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["GPX_FIXTURES", "SHARED_SAMPLES", "needs_shared_corpus"]

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GPX_FIXTURES = FIXTURES / "gpx"

# The repository's parent holds shared/ on the team's machines and in CI.
SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"

needs_shared_corpus = pytest.mark.skipif(
    not SHARED_SAMPLES.is_dir(),
    reason=(
        f"external corpus {SHARED_SAMPLES} is absent (a standalone clone); "
        "tests/fixtures covers the same cases"
    ),
)
