"""A patrol's audit trail as sentences people read: who changed what, from what to what, when
(in the area's local time), beside the raw before/after the API has always given."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from babel.dates import format_datetime

from patrol.geo.times import iso_utc
from patrol.store.models import AuditEvent, Patrol
from patrol.texts import N_, Message, listed

__all__ = ["patrol_trail", "sentence"]

# Sentences are Messages (patrol/texts.py): English as always, said in the reader's language
# by the route (patrol/http.py, ``say``); the find's fields and the vocabularies' values are
# the JSON's own words and stay as they are.
FIELD_NAMES = {
    "leader": N_("the leader"),
    "members": N_("the members"),
    "transport": N_("the transport"),
    "type": N_("type"),
    "count": N_("count"),
    "state": N_("state"),
    "action": N_("action"),
    "species": N_("species"),
    "notes": N_("notes"),
}
VERBS = {
    "create": N_("{who} submitted the patrol {when}."),
    "delete": N_("{who} deleted the patrol {when}."),
    "restore": N_("{who} restored the patrol {when}."),
}
ROLE_NAMES = {
    "admin": N_("Admin"),
    "coordinator": N_("Coordinator"),
    "ranger": N_("Ranger"),
    "ngo": N_("Ngo"),
}


def _local(at: datetime, tz: str, lang: str = "en") -> str:
    """``25 Nov 2026 16:20``: day, month name and 24-hour time, never ambiguous on paper
    (``25 нояб. 2026 16:20`` in Russian, Babel's month abbreviations)."""
    t = at.astimezone(ZoneInfo(tz))
    if lang == "en":
        return f"{t.day} {t:%b %Y %H:%M}"
    return format_datetime(t, "d MMM y HH:mm", locale=lang)


def _value(v: Any) -> str:
    if v is None or v == "" or v == []:
        return N_("nothing")
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v).replace("_", " ")


def _change(what: str, old: Any, new: Any) -> Message:
    if old in (None, "", []):
        return N_("set {what} to {new}", what=what, new=_value(new))
    if new in (None, "", []):
        return N_("cleared {what} (was {old})", what=what, old=_value(old))
    return N_("changed {what} from {old} to {new}", what=what, old=_value(old), new=_value(new))


Finds = dict[str, tuple[int, datetime]]


def _find_label(find_id: str, finds: Finds, tz: str, lang: str) -> str:
    if find_id not in finds:
        return N_("a find")
    k, found_at = finds[find_id]
    return N_("find {n} (found {time})", n=k, time=_local(found_at, tz, lang))


def _changes(before: dict, after: dict, finds: Finds, tz: str, lang: str) -> list[Message]:
    out = []
    for key, new in after.items():
        if key == "revision":
            continue
        old = before.get(key)
        if isinstance(new, dict):  # a find's corrected fields
            label = _find_label(key, finds, tz, lang)
            for field, value in new.items():
                if (old or {}).get(field) == value:
                    continue  # sent unchanged by a form that sends every field
                name = FIELD_NAMES.get(field, field)
                what = N_("the {field} of {find}", field=name, find=label)
                out.append(_change(what, (old or {}).get(field), value))
        elif old != new:
            out.append(_change(FIELD_NAMES.get(key, key.replace("_", " ")), old, new))
    return out


def _join(parts: list[Message]) -> str:
    return parts[0] if len(parts) == 1 else listed(parts[:-1], parts[-1])


def _who(event: AuditEvent) -> str:
    user = event.user
    if not user:
        return N_("The system")
    role = ROLE_NAMES.get(user.role, user.role.capitalize())
    return N_("{role} {username}", role=role, username=user.username)


def _created(after: dict, who: str, when: str) -> Message:
    details: list[str] = []
    if after.get("unit"):
        details.append(N_("unit {code}", code=after["unit"]))
    if after.get("distance_km") is not None:
        details.append(N_("{km} km", km=f"{after['distance_km']:.1f}"))
    if after.get("finds") is not None:
        n = after["finds"]
        details.append(N_("{n} snare find", n=n) if n == 1 else N_("{n} snare finds", n=n))
    if not details:
        return Message(VERBS["create"].template, {"who": who, "when": when})
    return N_(
        "{who} submitted the patrol ({details}) {when}.",
        who=who,
        details=listed(details),
        when=when,
    )


def sentence(event: AuditEvent, tz: str, finds: Finds | None = None, lang: str = "en") -> Message:
    """One event as a sentence: ``Coordinator ivanova changed the leader from A to B on
    25 Nov 2026 16:20.`` (a Message: the route says it in the reader's language; ``lang``
    writes the time the reader's way)."""
    who = _who(event)
    before = _load(event.before)
    after = _load(event.after)
    when = N_("on {time}", time=_local(event.at, tz, lang))
    if event.action == "create":
        return _created(after, who, when)
    if event.action == "correct":
        parts = _changes(before, after, finds or {}, tz, lang)
        if parts:
            return N_("{who} {changes} {when}.", who=who, changes=_join(parts), when=when)
        return N_("{who} saved the patrol unchanged {when}.", who=who, when=when)
    if event.action in VERBS:
        return Message(VERBS[event.action].template, {"who": who, "when": when})
    return N_("{who} did '{action}' to the patrol {when}.", who=who, action=event.action, when=when)


def _load(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def patrol_trail(session: so.Session, patrol: Patrol, lang: str = "en") -> list[dict[str, Any]]:
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
            "sentence": sentence(e, tz, finds, lang),
        }
        for e in rows
    ]
