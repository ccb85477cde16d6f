"""A zones file's names in several languages (``name_<lang>``), read by geo/shapes.py, and
the demo area's zones named in Russian and English."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from patrol.geo.problems import Problems
from patrol.geo.shapes import parse_zones
from tests.conftest import quadrant_zones

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "zones.geojson"


def test_names_in_languages_are_read_beside_name():
    doc = copy.deepcopy(quadrant_zones())
    props = doc["features"][0]["properties"]
    props.update(name_ru=" Юго-запад ", name_en="South-west", name_zh="西南", name_pt_BR="Sudoeste")
    props.update(name_fr="", name_de=None, name_long_thing="not a language", named="x")
    problems = Problems()
    zones = parse_zones(doc, problems)
    assert not problems
    assert zones[0].name == "Zone SW"
    assert zones[0].names == {
        "ru": "Юго-запад",
        "en": "South-west",
        "zh": "西南",
        "pt-BR": "Sudoeste",
    }
    assert [z.names for z in zones[1:]] == [{}, {}, {}]


def test_a_name_that_is_not_a_short_text_is_a_problem_at_its_pointer():
    doc = copy.deepcopy(quadrant_zones())
    doc["features"][2]["properties"]["name_en"] = ["a list"]
    doc["features"][3]["properties"]["name_ru"] = "я" * 201
    problems = Problems()
    assert len(parse_zones(doc, problems)) == 2
    assert [(p.pointer, p.detail) for p in problems.items] == [
        ("/features/2/properties/name_en", "must be a text of at most 200 characters"),
        ("/features/3/properties/name_ru", "must be a text of at most 200 characters"),
    ]


def test_the_demo_zones_are_named_in_russian_and_english():
    doc = json.loads(DEMO.read_text())
    problems = Problems()
    zones = parse_zones(doc, problems)
    assert not problems and len(zones) == 12
    for z in zones:
        assert set(z.names) == {"ru", "en"}
        assert z.names["ru"] == z.name  # the park's own name is the Russian one
        assert any("а" <= ch <= "я" for ch in z.names["ru"].lower())
        assert z.names["en"].isascii() and z.names["en"].endswith("(synthetic)")
