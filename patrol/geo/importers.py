"""Report importers: small registered classes, one per file format, chosen by type or content."""

from __future__ import annotations

from typing import ClassVar

from patrol.errors import UnsupportedMediaType
from patrol.geo.geojson_report import parse_geojson_report
from patrol.geo.gpx import parse_gpx_report
from patrol.geo.report import Limits, PatrolReport, ReportDefaults
from patrol.geo.smart import is_smart_patrol, parse_smart_patrols
from patrol.texts import N_

__all__ = ["REGISTRY", "Importer", "importer_for", "register"]

REGISTRY: dict[str, type[Importer]] = {}


class Importer:
    """One report format: its media types, file suffixes, a content sniff and a parser."""

    name: ClassVar[str]
    media_types: ClassVar[tuple[str, ...]]
    suffixes: ClassVar[tuple[str, ...]]
    #: An exchange format carries whole patrols of another system (several per file, with
    #: observations), stored by its own service rather than as one report.
    exchange: ClassVar[bool] = False

    @staticmethod
    def sniff(head: bytes) -> bool:
        raise NotImplementedError

    @staticmethod
    def parse(data: bytes, defaults: ReportDefaults, limits: Limits) -> PatrolReport:
        raise NotImplementedError


def register(cls: type[Importer]) -> type[Importer]:
    REGISTRY[cls.name] = cls
    return cls


@register
class GeoJSONImporter(Importer):
    name = "geojson"
    media_types = ("application/geo+json", "application/json")
    suffixes = (".geojson", ".json")

    @staticmethod
    def sniff(head: bytes) -> bool:
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")

    @staticmethod
    def parse(data: bytes, defaults: ReportDefaults, limits: Limits) -> PatrolReport:
        return parse_geojson_report(data, defaults, limits)


@register
class GPXImporter(Importer):
    name = "gpx"
    media_types = ("application/gpx+xml", "application/xml", "text/xml")
    suffixes = (".gpx",)

    @staticmethod
    def sniff(head: bytes) -> bool:
        return b"<gpx" in head[:4096]

    @staticmethod
    def parse(data: bytes, defaults: ReportDefaults, limits: Limits) -> PatrolReport:
        return parse_gpx_report(data, defaults, limits)


@register
class SmartImporter(Importer):
    """SMART patrol XML: parse gives every patrol of the file (or its problems); the SMART
    service stores them (patrol.services.smart)."""

    name = "smart"
    media_types = ("application/vnd.smart.patrol+xml", "application/xml", "text/xml")
    suffixes = (".xml",)
    exchange = True

    @staticmethod
    def sniff(head: bytes) -> bool:
        return is_smart_patrol(head)

    @staticmethod
    def parse(data: bytes, defaults: ReportDefaults, limits: Limits) -> list:  # type: ignore[override]
        return parse_smart_patrols(data, limits)


def _claimed(media_type: str, filename: str | None, head: bytes) -> type[Importer] | None:
    """The importer a media type names, or None when no importer claims it (but a generic
    type, which leaves the choice to the name and the content)."""
    media_type = media_type.split(";")[0].strip().lower()
    claims = [cls for cls in REGISTRY.values() if media_type in cls.media_types]
    if len(claims) == 1:
        return claims[0]
    # application/xml is GPX or SMART: the content says which, else the file's suffix.
    for cls in claims:
        if head and cls.sniff(head):
            return cls
    for cls in claims:
        if filename and filename.lower().endswith(cls.suffixes):
            return cls
    if claims:
        return claims[0]
    if media_type not in ("application/octet-stream", "multipart/form-data"):
        accepted = ", ".join(m for c in REGISTRY.values() for m in c.media_types)
        raise UnsupportedMediaType(N_("Send a report as one of: {accepted}.", accepted=accepted))
    return None


def importer_for(
    media_type: str | None = None, filename: str | None = None, head: bytes = b""
) -> type[Importer]:
    """The importer for a media type, else a file name's suffix, else the content's first bytes."""
    if media_type:
        claimed = _claimed(media_type, filename, head)
        if claimed is not None:
            return claimed
    if filename:
        low = filename.lower()
        for cls in REGISTRY.values():
            if low.endswith(cls.suffixes):
                return cls
    for cls in REGISTRY.values():
        if head and cls.sniff(head):
            return cls
    raise UnsupportedMediaType(N_("The file is neither GeoJSON, GPX nor SMART patrol XML."))
