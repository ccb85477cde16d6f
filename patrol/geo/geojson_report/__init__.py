"""The GeoJSON patrol report: a FeatureCollection of one route and its snare finds, read and
validated into a ``PatrolReport`` with every problem at its JSON pointer.

The route's geometry and times are read in ``route``, its properties in ``properties``, the
finds in ``finds``; this module sorts the features and puts the report together.
"""

from __future__ import annotations

from typing import Any

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.checks import check_uuid
from patrol.geo.documents import load_json
from patrol.geo.geojson_report.fast import load_report
from patrol.geo.geojson_report.finds import read_finds
from patrol.geo.geojson_report.properties import read_properties
from patrol.geo.geojson_report.route import read_route
from patrol.geo.problems import Problems
from patrol.geo.report import Limits, PatrolReport, ReportDefaults
from patrol.geo.report_checks import check_counts, check_find_times
from patrol.texts import N_

__all__ = ["parse_geojson_report"]


def _features(doc: Any, problems: Problems) -> list:
    """The collection's features; raises when there are none to read."""
    if not isinstance(doc, dict):
        raise ValidationFailed(
            N_("A report is a GeoJSON FeatureCollection."),
            errors=[FieldError("", N_("must be a JSON object"))],
        )
    if doc.get("type") != "FeatureCollection":
        problems.add("/type", N_('must be "FeatureCollection"'))
    features = doc.get("features")
    if not isinstance(features, list):
        problems.add("/features", N_("must be an array of features"))
        problems.raise_if_any()
    if not features:
        problems.add("/features", N_("is empty: a report needs one route feature"))
        problems.raise_if_any()
    return features


def _sort_features(features: list, problems: Problems) -> tuple[int, list[int]]:
    """Where the one route is and where the finds are, by each feature's ``kind``."""
    route_at: int | None = None
    snare_at: list[int] = []
    for i, feature in enumerate(features):
        where = f"/features/{i}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.add(f"{where}/type", N_("must be a GeoJSON Feature"))
            continue
        props = feature.get("properties")
        if not isinstance(props, dict):
            problems.add(f"{where}/properties", N_('must be an object with a "kind"'))
            continue
        kind = props.get("kind")
        if kind == "route" and route_at is None:
            route_at = i
        elif kind == "route":
            problems.add(
                f"{where}/properties/kind",
                N_(
                    "a report has exactly one route (the first is {pointer})",
                    pointer=f"/features/{route_at}",
                ),
            )
        elif kind == "snare":
            snare_at.append(i)
        else:
            problems.add(f"{where}/properties/kind", N_('must be "route" or "snare"'))
    if route_at is None:
        problems.add("/features", N_('no feature with "kind": "route"'))
        problems.raise_if_any()
    return route_at, snare_at


def parse_geojson_report(
    data: bytes | str | dict, defaults: ReportDefaults | None = None, limits: Limits | None = None
) -> PatrolReport:
    """Read and validate a report FeatureCollection; ValidationFailed lists every problem."""
    defaults = defaults or ReportDefaults()
    limits = limits or Limits()
    doc = load_report(data) if isinstance(data, bytes) else None
    if doc is None:
        doc = data if isinstance(data, dict) else load_json(data)
    problems = Problems()
    features = _features(doc, problems)
    route_at, snare_at = _sort_features(features, problems)
    where = f"/features/{route_at}"
    route = features[route_at]
    patrol_id = check_uuid(route.get("id", defaults.id), f"{where}/id", problems)
    parts, times = read_route(route, where, problems)
    props = read_properties(
        route["properties"], times, defaults, limits, f"{where}/properties", problems
    )
    vertices = sum(len(p) for p in parts)
    check_counts(vertices, len(snare_at), limits, f"{where}/geometry/coordinates", problems)
    snares = read_finds(features, snare_at, patrol_id, problems)
    problems.raise_if_any()
    report = PatrolReport(
        id=patrol_id,
        unit=props.unit.strip(),
        started_at=props.started_at,
        ended_at=props.ended_at,
        parts=parts,
        times=times,
        transport=props.transport,
        leader=props.leader,
        members=props.members,
        snares=snares,
        source_format="geojson",
        route_pointer=where,
    )
    check_find_times(report, problems)
    problems.raise_if_any()
    return report
