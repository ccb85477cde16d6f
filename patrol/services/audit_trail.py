"""A patrol's audit trail as sentences people read: who changed what, from what to what, when
(in the area's local time), beside the raw before/after the API has always given."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.geo.times import iso_utc
from patrol.store.models import AuditEvent, Patrol

__all__ = ["patrol_trail", "sentence"]

FIELD_NAMES = {
    "leader": "the leader",
    "members": "the members",
    "transport": "the transport",
    "type": "type",
    "count": "count",
    "state": "state",
    "action": "action",
    "species": "species",
    "notes": "notes",
}
VERBS = {
    "create": "submitted the patrol",
    "delete": "deleted the patrol",
    "restore": "restored the patrol",
}


def _local(at: datetime, tz: str) -> str:
    """``25 Nov 2026 16:20``: day, month name and 24-hour time, never ambiguous on paper."""
    t = at.astimezone(ZoneInfo(tz))
    return f"{t.day} {t:%b %Y %H:%M}"


def _value(v: Any) -> str:
    if v is None or v == "" or v == []:
        return "nothing"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v).replace("_", " ")


def _change(what: str, old: Any, new: Any) -> str:
    if old in (None, "", []):
        return f"set {what} to {_value(new)}"
    if new in (None, "", []):
        return f"cleared {what} (was {_value(old)})"
    return f"changed {what} from {_value(old)} to {_value(new)}"


def _find_label(find_id: str, finds: dict[str, tuple[int, datetime]], tz: str) -> str:
    if find_id not in finds:
        return "a find"
    k, found_at = finds[find_id]
    return f"find {k} (found {_local(found_at, tz)})"


def _changes(before: dict, after: dict, finds: dict, tz: str) -> list[str]:
    out = []
    for key, new in after.items():
        if key == "revision":
            continue
        old = before.get(key)
        if isinstance(new, dict):  # a find's corrected fields
            label = _find_label(key, finds, tz)
            for field, value in new.items():
                if (old or {}).get(field) == value:
                    continue  # sent unchanged by a form that sends every field
                what = f"the {FIELD_NAMES.get(field, field)} of {label}"
                out.append(_change(what, (old or {}).get(field), value))
        elif old != new:
            out.append(_change(FIELD_NAMES.get(key, key.replace("_", " ")), old, new))
    return out


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def sentence(
    event: AuditEvent, tz: str, finds: dict[str, tuple[int, datetime]] | None = None
) -> str:
    """One event as a sentence: ``Coordinator ivanova changed the leader from A to B on
    25 Nov 2026 16:20.``"""
    user = event.user
    who = f"{user.role.capitalize()} {user.username}" if user else "The system"
    before = _load(event.before)
    after = _load(event.after)
    when = f"on {_local(event.at, tz)}"
    if event.action == "create":
        details = []
        if after.get("unit"):
            details.append(f"unit {after['unit']}")
        if after.get("distance_km") is not None:
            details.append(f"{after['distance_km']:.1f} km")
        if after.get("finds") is not None:
            n = after["finds"]
            details.append(f"{n} snare find{'' if n == 1 else 's'}")
        extra = f" ({', '.join(details)})" if details else ""
        return f"{who} submitted the patrol{extra} {when}."
    if event.action == "correct":
        parts = _changes(before, after, finds or {}, tz)
        if parts:
            return f"{who} {_join(parts)} {when}."
        return f"{who} saved the patrol unchanged {when}."
    verb = VERBS.get(event.action, f"did '{event.action}' to the patrol")
    return f"{who} {verb} {when}."


def _load(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def patrol_trail(session: so.Session, patrol: Patrol) -> list[dict[str, Any]]:
    """Every event of ``patrol``, oldest first: time, who, action, before, after and the
    sentence (finds named by their order in the patrol and the local time they were found)."""
    tz = patrol.area.timezone
    finds = {f.uuid: (k, f.found_at) for k, f in enumerate(patrol.finds, start=1)}
    rows = session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity == "patrol", AuditEvent.entity_id == patrol.uuid)
        .order_by(AuditEvent.at, AuditEvent.id)
        .options(so.joinedload(AuditEvent.user))
    ).all()
    return [
        {
            "at": iso_utc(e.at),
            "user": e.user.username if e.user else None,
            "role": e.user.role if e.user else None,
            "action": e.action,
            "before": e.before,
            "after": e.after,
            "sentence": sentence(e, tz, finds),
        }
        for e in rows
    ]
