"""Writing SMART patrol XML: a ``patrol`` element from plain data, in SMART's element order, with
what the reader kept as unknown XML written back where it was."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from patrol.geo.smart.safe_xml import PATROL_NS
from patrol.geo.smart.track import track_to_wkb

__all__ = ["write_smart_patrol"]


def _number(value: float) -> str:
    return repr(float(value))


def _flag(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def _append_extra(elem: ET.Element, extra: list[str]) -> None:
    for raw in extra:
        elem.append(ET.fromstring(raw))


def write_smart_patrol(doc: dict[str, Any], namespace: str = PATROL_NS) -> ET.Element:
    """A SMART ``patrol`` element from plain data (the shape of ``SmartPatrol`` as a dict,
    tracks as lists of (n, 3) arrays), for the exporter. Element order follows SMART's."""
    return _Writer(namespace).patrol(doc)


class _Writer:
    """Builds the elements of one namespace, leaving out attributes whose value is None."""

    def __init__(self, namespace: str) -> None:
        self.ns = f"{{{namespace}}}"

    def sub(self, parent: ET.Element, name: str, **attrs: Any) -> ET.Element:
        clean = {k: str(v) for k, v in attrs.items() if v is not None}
        return ET.SubElement(parent, self.ns + name, clean)

    def text(self, parent: ET.Element, name: str, text: str | None) -> None:
        ET.SubElement(parent, self.ns + name).text = text

    def patrol(self, doc: dict[str, Any]) -> ET.Element:
        attrs = {
            "patrolType": doc.get("patrol_type"),
            "startDate": doc.get("start_date"),
            "endDate": doc.get("end_date"),
            "isArmed": _flag(doc.get("armed")),
            "id": doc["id"],
            **doc.get("attributes", {}),
        }
        root = ET.Element(
            self.ns + "patrol", {k: str(v) for k, v in attrs.items() if v is not None}
        )
        if doc.get("objective") is not None:
            self.text(self.sub(root, "objective"), "description", doc["objective"])
        if doc.get("team") is not None:
            self.sub(root, "team", languageCode=doc.get("team_language"), value=doc["team"])
        for leg in doc["legs"]:
            self.leg(root, leg)
        if doc.get("comment") is not None:
            self.sub(root, "comment").text = doc["comment"]
        _append_extra(root, doc.get("extra", []))
        return root

    def leg(self, root: ET.Element, leg: dict[str, Any]) -> None:
        el = self.sub(
            root,
            "legs",
            startDate=leg.get("start_date"),
            endDate=leg.get("end_date"),
            id=leg.get("id"),
        )
        if leg.get("transport") is not None:
            self.sub(
                el,
                "transportType",
                languageCode=leg.get("transport_language"),
                value=leg["transport"],
            )
        for m in leg.get("members", []):
            self.sub(
                el,
                "members",
                givenName=m.get("given_name"),
                familyName=m.get("family_name"),
                employeeId=m.get("employee_id"),
                isPilot=_flag(m.get("pilot", False)),
                isLeader=_flag(m.get("leader", False)),
            )
        for day in leg["days"]:
            self.day(el, day)
        if leg.get("mandate") is not None:
            self.sub(el, "mandate", languageCode=leg.get("mandate_language"), value=leg["mandate"])
        _append_extra(el, leg.get("extra", []))

    def day(self, leg: ET.Element, day: dict[str, Any]) -> None:
        rest = day.get("rest_minutes")
        dl = self.sub(
            leg,
            "days",
            date=day["date"],
            startTime=day.get("start_time"),
            endTime=day.get("end_time"),
            restMinutes=None if rest is None else _number(rest),
        )
        for wp in day.get("waypoints", []):
            self.waypoint(dl, wp)
        if day.get("track"):
            self.sub(dl, "track", geom=track_to_wkb(day["track"]), distance=day.get("distance"))
        _append_extra(dl, day.get("extra", []))

    def waypoint(self, day: ET.Element, wp: dict[str, Any]) -> None:
        wl = self.sub(
            day,
            "waypoints",
            id=wp.get("id"),
            x=_number(wp["lon"]),
            y=_number(wp["lat"]),
            time=wp.get("time"),
        )
        # Every group the waypoint had, empty ones too, then any an observation names.
        groups = {g: self.sub(wl, "groups") for g in range(wp.get("groups", 0))}
        for obs in wp.get("observations", []):
            g = obs.get("group", 0)
            if g not in groups:
                groups[g] = self.sub(wl, "groups")
            self.observation(groups[g], obs)
        _append_extra(wl, wp.get("extra", []))

    def observation(self, group: ET.Element, obs: dict[str, Any]) -> None:
        ol = self.sub(group, "observations", categoryKey=obs["category_key"])
        for a in obs.get("attributes", []):
            self.attribute(ol, a)
        _append_extra(ol, obs.get("extra", []))

    def attribute(self, obs: ET.Element, a: dict[str, Any]) -> None:
        al = self.sub(obs, "attributes", attributeKey=a["key"])
        kind = a["kind"]
        if kind in ("item", "items"):
            for item in a["items"]:
                self.text(al, "itemKey", item)
        elif kind == "number":
            self.text(al, "dValue", _number(a["number"]))
        elif kind == "boolean":
            self.text(al, "bValue", _flag(a["boolean"]))
        elif kind == "text":
            self.text(al, "sValue", a["text"])
