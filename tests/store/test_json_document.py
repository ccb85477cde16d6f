"""JSON kept as text: the column type round-trips values on each backend, stores readable text,
and no module of patrol decodes a model's JSON column by hand any more."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from patrol.store.models import AuditEvent
from patrol.store.types import JSONDocument

PATROL = Path(__file__).resolve().parents[2] / "patrol"

VALUES = [
    None,
    [],
    ["Иванов И.И.", "Petrov"],
    {"b": 1, "a": [1.5, None, True], "name": "Бикин"},
    {"nested": {"list": [{"x": 1}], "empty": {}}},
    "plain text",
    0,
]


@pytest.fixture
def probe(app):
    """A table of the test's own with one JSONDocument column, dropped afterwards."""
    engine = app.extensions["patrol.engine"]
    metadata = sa.MetaData()
    table = sa.Table(
        "json_document_probe",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("doc", JSONDocument),
    )
    metadata.create_all(engine)
    yield engine, table
    metadata.drop_all(engine)


def test_values_round_trip(probe):
    engine, table = probe
    with engine.begin() as conn:
        conn.execute(sa.insert(table), [{"id": i, "doc": v} for i, v in enumerate(VALUES)])
    with engine.connect() as conn:
        back = dict(conn.execute(sa.select(table.c.id, table.c.doc)).all())
        raw = dict(conn.execute(sa.text("SELECT id, doc FROM json_document_probe")).all())
    assert [back[i] for i in range(len(VALUES))] == VALUES
    # None is SQL NULL, not the text 'null'; the rest is JSON text that decodes to the value.
    assert raw[0] is None
    assert all(json.loads(raw[i]) == v for i, v in enumerate(VALUES) if v is not None)


def test_cyrillic_is_stored_readable_and_keys_sorted(probe):
    engine, table = probe
    with engine.begin() as conn:
        conn.execute(sa.insert(table), [{"id": 1, "doc": {"name": "Бикин", "area": "Приморье"}}])
    with engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT doc FROM json_document_probe")).scalar_one()
    assert "Бикин" in raw and "\\u" not in raw
    assert raw.index('"area"') < raw.index('"name"')


def test_model_columns_keep_their_names_and_text(app, session):
    """The attributes hold values, the columns keep the migrated names and hold JSON text."""
    after = {"members": ["Сидоров"], "revision": 2}
    session.add(AuditEvent(action="create", entity="patrol", entity_id="p1", after=after))
    session.commit()
    raw = session.execute(
        sa.text("SELECT before_json, after_json FROM audit_event WHERE entity_id = 'p1'")
    ).one()
    assert raw[0] is None and json.loads(raw[1]) == after and "Сидоров" in raw[1]
    session.expire_all()
    assert session.scalar(sa.select(AuditEvent.after).where(AuditEvent.entity_id == "p1")) == after


# Modules that parse JSON text that is not a model attribute: the column type itself, the
# GeoJSON reader, the HTTP encoder, and readers of uploaded or shipped files (routes are binary).
EXEMPT = {"store/types.py", "geo/documents.py", "jsonio.py"}


def _hand_decodes(tree: ast.AST) -> list[str]:
    """``json.loads(x.<name>_json)`` / ``json.loads(x.<name>_geojson)`` calls (also orjson)."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        func = node.func
        if func.attr != "loads" or not isinstance(func.value, ast.Name):
            continue
        if func.value.id not in ("json", "orjson") or not node.args:
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Attribute) and arg.attr.endswith(("_json", "_geojson")):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_scan_finds_a_hand_decode():
    assert _hand_decodes(ast.parse("json.loads(area.boundary_geojson)"))
    assert _hand_decodes(ast.parse("orjson.loads(row.doc_json)"))
    assert not _hand_decodes(ast.parse("json.loads(text)"))


def test_no_module_decodes_a_json_column_by_hand():
    offenders = {}
    for path in sorted(PATROL.rglob("*.py")):
        relative = path.relative_to(PATROL).as_posix()
        if relative in EXEMPT:
            continue
        found = _hand_decodes(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            offenders[relative] = found
    assert offenders == {}
