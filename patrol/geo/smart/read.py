"""Reading SMART patrol XML into ``SmartPatrol``: every element walked, every problem collected
with an XPath-like pointer, so a park fixes its export in one pass."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import numpy as np

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.checks import check_positions
from patrol.geo.problems import Problems
from patrol.geo.report import Limits
from patrol.geo.smart.model import (
    SmartDay,
    SmartLeg,
    SmartMember,
    SmartObservation,
    SmartPatrol,
    SmartWaypoint,
)
from patrol.geo.smart.safe_xml import PATROL_NS_RE, local_name, namespace_of, parse_xml
from patrol.geo.smart.track import track_from_wkb
from patrol.geo.smart.values import ValueReader
from patrol.texts import N_

__all__ = ["MAX_PATROLS_PER_FILE", "parse_smart_patrols"]

MAX_PATROLS_PER_FILE = 10_000
# The patrol element's own attributes; any other is kept as it came.
_PATROL_ATTRIBUTES = {"id", "patrolType", "startDate", "endDate", "isArmed"}


def _unknown(child: ET.Element) -> str:
    """An element patrol does not read, kept as XML text so an export writes it back."""
    return ET.tostring(child, encoding="unicode")


class _Reader(ValueReader):
    """Walks one patrol element, collecting every problem with an XPath-like pointer."""

    def patrol(self, elem: ET.Element, where: str) -> SmartPatrol | None:
        before = len(self.problems.items)
        patrol_id = self.attr(elem, "id", where, required=True)
        children = self._patrol_children(elem, where)
        armed = self.bool_attr(elem, "isArmed", where)
        patrol = SmartPatrol(
            id=(patrol_id or "").strip(),
            patrol_type=elem.get("patrolType"),
            start_date=self.date_attr(elem, "startDate", where),
            end_date=self.date_attr(elem, "endDate", where),
            armed=armed,
            namespace=namespace_of(elem.tag),
            pointer=where,
            attributes={k: v for k, v in elem.attrib.items() if k not in _PATROL_ATTRIBUTES},
            **children,
        )
        if patrol_id is not None and not patrol.id:
            self.problems.add(f"{where}/@id", N_("must not be empty"))
        if patrol.id and len(patrol.id) > 64:
            self.problems.add(f"{where}/@id", N_("must be at most 64 characters"))
        return patrol if len(self.problems.items) == before else None

    def _patrol_children(self, elem: ET.Element, where: str) -> dict[str, Any]:
        found: dict[str, Any] = dict.fromkeys(("objective", "team", "team_language", "comment"))
        legs: list[SmartLeg] = []
        extra: list[str] = []
        n_legs = 0
        for child in elem:
            name = local_name(child.tag)
            if name == "legs":
                n_legs += 1
                leg = self.leg(child, f"{where}/legs/leg[{n_legs}]")
                if leg is not None:
                    legs.append(leg)
            elif name == "objective":
                desc = next((c for c in child if local_name(c.tag) == "description"), None)
                found["objective"] = desc.text if desc is not None else child.text
            elif name == "team":
                found["team"], found["team_language"] = (
                    child.get("value"),
                    child.get("languageCode"),
                )
            elif name == "comment":
                found["comment"] = child.text
            else:
                extra.append(_unknown(child))
        if not n_legs:
            self.problems.add(f"{where}/legs", N_("a patrol needs at least one leg"))
        return found | {"legs": legs, "extra": extra}

    def leg(self, elem: ET.Element, where: str) -> SmartLeg:
        members: list[SmartMember] = []
        days: list[SmartDay] = []
        transport = transport_lang = mandate = mandate_lang = None
        extra: list[str] = []
        n_days = 0
        for child in elem:
            name = local_name(child.tag)
            if name == "transportType":
                transport, transport_lang = child.get("value"), child.get("languageCode")
            elif name == "members":
                members.append(self._member(child, where))
            elif name == "days":
                n_days += 1
                day = self.day(child, f"{where}/days/day[{n_days}]")
                if day is not None:
                    days.append(day)
            elif name == "mandate":
                mandate, mandate_lang = child.get("value"), child.get("languageCode")
            else:
                extra.append(_unknown(child))
        if n_days == 0:
            self.problems.add(f"{where}/days", N_("a leg needs at least one day"))
        return SmartLeg(
            id=elem.get("id"),
            start_date=self.date_attr(elem, "startDate", where),
            end_date=self.date_attr(elem, "endDate", where),
            transport=transport,
            transport_language=transport_lang,
            members=members,
            mandate=mandate,
            mandate_language=mandate_lang,
            days=days,
            pointer=where,
            extra=extra,
        )

    def _member(self, elem: ET.Element, where: str) -> SmartMember:
        return SmartMember(
            given_name=elem.get("givenName"),
            family_name=elem.get("familyName"),
            employee_id=elem.get("employeeId"),
            leader=bool(self.bool_attr(elem, "isLeader", where)),
            pilot=bool(self.bool_attr(elem, "isPilot", where)),
        )

    def day(self, elem: ET.Element, where: str) -> SmartDay | None:
        day_date = self.date_attr(elem, "date", where, required=True)
        waypoints: list[SmartWaypoint] = []
        track = None
        distance = None
        extra: list[str] = []
        n_wp = n_track = 0
        for child in elem:
            name = local_name(child.tag)
            if name == "waypoints":
                n_wp += 1
                wp = self.waypoint(child, f"{where}/waypoints/waypoint[{n_wp}]")
                if wp is not None:
                    waypoints.append(wp)
            elif name == "track":
                n_track += 1
                if n_track > 1:
                    self.problems.add(
                        f"{where}/track[{n_track}]", N_("a day has at most one track")
                    )
                    continue
                distance = child.get("distance")
                track = self._track(child, f"{where}/track")
            else:
                extra.append(_unknown(child))
        if day_date is None:
            return None
        return SmartDay(
            date=day_date,
            start_time=self.time_attr(elem, "startTime", where),
            end_time=self.time_attr(elem, "endTime", where),
            rest_minutes=self.float_attr(elem, "restMinutes", where),
            track=track,
            distance=distance,
            waypoints=waypoints,
            pointer=where,
            extra=extra,
        )

    def _track(self, elem: ET.Element, where: str) -> list[np.ndarray] | None:
        """The day's track: valid positions, and point times (when it has them) that never go
        backwards."""
        geom = elem.get("geom")
        if geom is None or not geom.strip():
            self.problems.add(f"{where}/@geom", N_("is required: the day's track as hex WKB"))
            return None
        try:
            track = track_from_wkb(geom.strip())
        except ValueError as exc:
            self.problems.add(f"{where}/@geom", exc.args[0] if exc.args else str(exc))
            return None
        for k, part in enumerate(track):
            pw = f"{where}/line[{k + 1}]"
            if check_positions(part[:, :2].tolist(), pw, self.problems) is None:
                continue
            t = part[:, 2]
            if np.isfinite(t).all():
                back = np.flatnonzero(np.diff(t) < 0)
                if back.size:
                    self.problems.add(
                        f"{pw}/point[{back[0] + 2}]", N_("track point times must not go backwards")
                    )
        return track

    def waypoint(self, elem: ET.Element, where: str) -> SmartWaypoint | None:
        before = len(self.problems.items)
        lon = self.float_attr(elem, "x", where, required=True)
        lat = self.float_attr(elem, "y", where, required=True)
        if lon is not None and not -180 <= lon <= 180:
            self.problems.add(
                f"{where}/@x", N_("longitude {lon} is outside [-180, 180]", lon=f"{lon:g}")
            )
        if lat is not None and not -90 <= lat <= 90:
            self.problems.add(
                f"{where}/@y", N_("latitude {lat} is outside [-90, 90]", lat=f"{lat:g}")
            )
        observations: list[SmartObservation] = []
        extra: list[str] = []
        groups = 0
        for child in elem:
            if local_name(child.tag) == "groups":
                groups += 1
                gw = f"{where}/groups/group[{groups}]"
                observations += self._group(child, groups - 1, gw)
            else:
                extra.append(_unknown(child))
        wp = SmartWaypoint(
            id=elem.get("id"),
            lon=lon or 0.0,
            lat=lat or 0.0,
            time=self.time_attr(elem, "time", where),
            observations=observations,
            groups=groups,
            pointer=where,
            extra=extra,
        )
        return wp if len(self.problems.items) == before else None

    def _group(self, elem: ET.Element, group: int, where: str) -> list[SmartObservation]:
        observations: list[SmartObservation] = []
        n_obs = 0
        for child in elem:
            if local_name(child.tag) != "observations":
                self.problems.add(
                    f"{where}/{local_name(child.tag)[:40]}", N_("unknown element in a group")
                )
                continue
            n_obs += 1
            obs = self.observation(child, group, f"{where}/observations/observation[{n_obs}]")
            if obs is not None:
                observations.append(obs)
        return observations

    def observation(self, elem: ET.Element, group: int, where: str) -> SmartObservation | None:
        key = self.attr(elem, "categoryKey", where, required=True)
        if key is not None and not key.strip(". "):
            self.problems.add(f"{where}/@categoryKey", N_("must not be empty"))
        attributes = []
        extra: list[str] = []
        n_attr = 0
        for child in elem:
            if local_name(child.tag) != "attributes":
                extra.append(_unknown(child))
                continue
            n_attr += 1
            attribute = self.attribute(child, f"{where}/attributes/attribute[{n_attr}]")
            if attribute is not None:
                attributes.append(attribute)
        if key is None:
            return None
        return SmartObservation(key, attributes, group, where, extra)


def parse_smart_patrols(
    data: bytes, limits: Limits | None = None
) -> list[SmartPatrol | ValidationFailed]:
    """Every patrol of a SMART patrol XML file (one ``patrol``, or a ``patrols`` wrapper).

    A file-level fault raises MalformedInput or ValidationFailed; a bad patrol comes back as
    its ValidationFailed (with every problem and its pointer) in place of the patrol, so a bulk
    import can store the good ones and report the bad.
    """
    limits = limits or Limits()
    return [_read_patrol(elem, where, limits) for elem, where in _patrol_elements(parse_xml(data))]


def _patrol_elements(root: ET.Element) -> list[tuple[ET.Element, str]]:
    """The file's patrol elements with their pointers; a file that is no patrol export raises."""
    name = local_name(root.tag)
    if name == "patrol":
        return [(root, "/patrol")]
    if name != "patrols":
        raise ValidationFailed(
            N_("The file is XML but not a SMART patrol export."),
            errors=[FieldError(f"/{name[:40]}", N_("the root element must be a SMART <patrol>"))],
        )
    elements = [
        (el, f"/patrols/patrol[{k + 1}]")
        for k, el in enumerate(c for c in root if local_name(c.tag) == "patrol")
    ]
    if len(elements) > MAX_PATROLS_PER_FILE:
        raise ValidationFailed(
            N_(
                "The file holds {count} patrols; at most {limit}.",
                count=len(elements),
                limit=MAX_PATROLS_PER_FILE,
            ),
            errors=[FieldError("/patrols", N_("too many patrols in one file"))],
        )
    return elements


def _read_patrol(elem: ET.Element, where: str, limits: Limits) -> SmartPatrol | ValidationFailed:
    """One patrol element read and bounded, or the ValidationFailed that lists its problems."""
    if not PATROL_NS_RE.match(namespace_of(elem.tag)):
        return ValidationFailed(
            N_("The file is XML but not a SMART patrol export."),
            errors=[
                FieldError(
                    where,
                    N_(
                        "namespace '{tag}' is not SMART's patrol namespace (http://www.smartconservationsoftware.org/xml/1.x/patrol)",
                        tag=namespace_of(elem.tag)[:80],
                    ),
                )
            ],
        )
    problems = Problems()
    patrol = _Reader(problems).patrol(elem, where)
    if patrol is not None and patrol.vertex_count > limits.max_vertices:
        problems.add(
            f"{where}/legs",
            N_(
                "the tracks have {vertex_count} vertices; at most {max_vertices} are accepted in "
                "one patrol",
                vertex_count=patrol.vertex_count,
                max_vertices=limits.max_vertices,
            ),
        )
    n_obs = 0 if patrol is None else patrol.observation_count
    if n_obs > limits.max_finds:
        problems.add(
            f"{where}/legs",
            N_(
                "{n_obs} observations; at most {max_finds}", n_obs=n_obs, max_finds=limits.max_finds
            ),
        )
    try:
        problems.raise_if_any(N_("SMART patrol"))
    except ValidationFailed as exc:
        return exc
    return patrol
