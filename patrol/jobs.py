"""Flask glue for recompute jobs: a runner thread per job, started after the request that
opened it has committed, and again for a job whose runner died (a worker restarted)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from flask import Flask, current_app

from patrol.services import recompute

if TYPE_CHECKING:
    from patrol.store.models import RecomputeJob

__all__ = ["resume_if_stale", "start_runner"]

log = logging.getLogger(__name__)


def _run(app: Flask, job_id: int) -> None:
    session = app.extensions["patrol.sessions"]()
    try:
        recompute.run_job(session, job_id)
    except Exception as exc:  # a runner must leave a reason, not a job stuck in 'running'
        log.exception("recompute job %s failed", job_id)
        session.rollback()
        recompute.fail_job(session, job_id, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        session.close()


def start_runner(job_id: int) -> threading.Thread:
    """Run the job in a background thread of this process (a daemon: it never holds up a
    shutdown; what it had not done is resumed, since progress is stored per batch)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=_run, args=(app, job_id), name=f"recompute-{job_id}", daemon=True
    )
    thread.start()
    return thread


def resume_if_stale(job: RecomputeJob | None) -> bool:
    """Take over a running job nobody has advanced for a while; whether a runner started."""
    if job is not None and recompute.job_document(job)["stale"]:
        log.warning("resuming recompute job %s (no progress since %s)", job.id, job.heartbeat_at)
        start_runner(job.id)
        return True
    return False
