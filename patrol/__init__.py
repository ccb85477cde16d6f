"""patrol: the anti-poaching patrol and snare log (a Flask service).

``create_app`` lives in :mod:`patrol.app` and is imported on first use, so that the pure
packages (``patrol.geo``, ``patrol.analytics``) import without Flask or SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patrol import threads  # noqa: F401  (one BLAS thread per process, before numpy loads)

if TYPE_CHECKING:
    from patrol.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # `from patrol import create_app` and `flask --app patrol` still find the factory here.
    if name == "create_app":
        from patrol.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
