"""The snare finds of a GeoJSON report: Point features with their fields and stable ids."""

from __future__ import annotations

from patrol.geo.checks import check_point, check_uuid
from patrol.geo.problems import Problems
from patrol.geo.report import SnareReport
from patrol.geo.report_checks import check_snare, derive_find_id
from patrol.texts import N_

__all__ = ["read_finds"]


def _find_id(
    feature: dict, i: int, patrol_id: str | None, seen: dict[str, int], problems: Problems
) -> str | None:
    """The find's id as sent, else derived from the patrol's; each once in a report."""
    fw = f"/features/{i}"
    if "id" in feature:
        find_id = check_uuid(feature["id"], f"{fw}/id", problems)
    else:
        find_id = derive_find_id(patrol_id, i) if patrol_id else None
    if find_id is not None:
        if find_id in seen:
            problems.add(
                f"{fw}/id",
                N_("duplicate find id (also {pointer})", pointer=f"/features/{seen[find_id]}"),
            )
        seen[find_id] = i
    return find_id


def read_finds(
    features: list, snare_at: list[int], patrol_id: str | None, problems: Problems
) -> list[SnareReport]:
    """The valid finds among ``features[i]`` for ``i`` in ``snare_at`` (problems for the rest)."""
    snares: list[SnareReport] = []
    seen: dict[str, int] = {}
    for i in snare_at:
        fw = f"/features/{i}"
        feature = features[i]
        geometry = feature.get("geometry")
        lonlat = None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            problems.add(f"{fw}/geometry", N_("a snare find must be a Point"))
        else:
            lonlat = check_point(
                geometry.get("coordinates"), f"{fw}/geometry/coordinates", problems
            )
        find_id = _find_id(feature, i, patrol_id, seen, problems)
        snare = check_snare(
            feature["properties"],
            *(lonlat or (0.0, 0.0)),
            find_id or "",
            f"{fw}/properties",
            problems,
        )
        if snare is not None and lonlat is not None and find_id is not None:
            snares.append(snare)
    return snares
