"""`patrol smart`: import files and folders (progress, per-file outcome, --unit, --update),
the data model and the map, and the export."""

from __future__ import annotations

import io
import json
import zipfile

import sqlalchemy as sa
import yaml

from patrol.store.models import (
    AuditEvent,
    Observation,
    Patrol,
    SmartAreaMap,
    SmartPatrol,
    SnareFind,
)
from tests.smart_files import DATAMODEL_RU, standard_patrol


def test_import_a_folder_never_stops_at_a_bad_file(runner, world, tmp_path, session):
    folder = tmp_path / "export"
    (folder / "2026").mkdir(parents=True)
    (folder / "2026" / "a.xml").write_bytes(standard_patrol("SMART_A"))
    (folder / "b.xml").write_bytes(b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e 'x'>]><x>&e;</x>")
    (folder / "c.xml").write_bytes(standard_patrol("SMART_C", shift=500))
    (folder / "notes.txt").write_text("not a patrol")
    result = runner.invoke(args=["smart", "import", str(folder), "--unit", "T-01"])
    assert result.exit_code == 1, result.output
    assert "SMART_A: stored (test-area, T-01; foot" in result.output
    assert "SMART_C: stored" in result.output
    assert "b.xml: rejected" in result.output
    assert "DTD" in result.output
    assert "3 files: 2 stored, 0 updated, 0 replayed, 0 patrols and 1 files rejected" in (
        result.output
    )
    assert set(session.scalars(sa.select(SmartPatrol.smart_id))) == {"SMART_A", "SMART_C"}
    # Again: replays, nothing new.
    result = runner.invoke(args=["smart", "import", str(folder / "c.xml"), "--unit", "T-01"])
    assert result.exit_code == 0, result.output
    assert "SMART_C: replayed" in result.output
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 6


def test_update_records_a_revision(runner, world, tmp_path, session):
    path = tmp_path / "p.xml"
    path.write_bytes(standard_patrol())
    assert runner.invoke(args=["smart", "import", str(path), "--unit", "T-01"]).exit_code == 0
    path.write_bytes(standard_patrol().replace(b'"3.0"', b'"5.0"').replace(b">3.0<", b">5.0<"))
    result = runner.invoke(args=["smart", "import", str(path), "--unit", "T-01"])
    assert result.exit_code == 1 and "--update" in result.output
    result = runner.invoke(args=["smart", "import", str(path), "--unit", "T-01", "--update"])
    assert result.exit_code == 0, result.output
    assert "updated" in result.output
    assert session.scalar(sa.select(SnareFind.count)) == 5
    assert session.scalar(sa.select(SmartPatrol.revision)) == 2
    assert (
        session.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.entity == "smart_patrol", AuditEvent.action == "update"
            )
        )
        == 1
    )


def test_datamodel_maps_a_category_known_by_its_russian_name(runner, world, tmp_path, session):
    patrol_file = tmp_path / "p.xml"
    patrol_file.write_bytes(standard_patrol())
    dm = tmp_path / "datamodel.xml"
    dm.write_text(DATAMODEL_RU, encoding="utf-8")
    result = runner.invoke(args=["smart", "datamodel", "import", str(dm), "--area", "test-area"])
    assert result.exit_code == 0, result.output
    assert "snare category nashi.kat7 (Петли и капканы): count, state" in result.output
    stored = session.scalar(sa.select(SmartAreaMap.doc))
    entry = stored["snare_categories"][0]
    assert entry["count"] == {"attribute": "skolko"}
    assert entry["state"]["items"] == {"s1": "triggered", "s2": "active"}
    result = runner.invoke(args=["smart", "import", str(patrol_file), "--unit", "T-01"])
    assert result.exit_code == 0, result.output
    # The Russian-named category is now a snare find (2 snares); the standard trap category,
    # not in this park's map, is kept as an observation only and reported by name.
    session.rollback()
    finds = session.scalars(sa.select(SnareFind)).all()
    assert [(f.count, f.notes) for f in finds] == [(2, "петли у тропы")]
    assert "humanactivity.weaponsequipment.trap' looks like snares" in result.output
    assert session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 6


def test_map_set_show_and_refuse(runner, world, tmp_path, session):
    good = tmp_path / "map.yaml"
    good.write_text(
        yaml.safe_dump(
            {
                "teams": {"Team East": "T-02"},
                "transports": {"Лыжи": "ski"},
                "snare_categories": [
                    {
                        "key": "humanactivity.weaponsequipment.trap",
                        "type": {"attribute": "traptype", "items": {"wiresnare": "cable"}},
                    }
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    result = runner.invoke(args=["smart", "map", "set", str(good), "--area", "test-area"])
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(
        runner.invoke(args=["smart", "map", "show", "--area", "test-area"]).output
    )
    assert shown["teams"] == {"Team East": "T-02"} and shown["transports"] == {"Лыжи": "ski"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"teams": {"X": 3}, "transports": {"Horse": "horse"}, "oops": 1}))
    result = runner.invoke(args=["smart", "map", "set", str(bad), "--area", "test-area"])
    assert result.exit_code == 1
    for pointer in ("/teams/X", "/transports/Horse", "/oops"):
        assert pointer in result.output
    patrol_file = tmp_path / "p.xml"
    patrol_file.write_bytes(standard_patrol())
    result = runner.invoke(args=["smart", "import", str(patrol_file)])  # team map: T-02
    assert result.exit_code == 0, result.output
    assert session.scalar(sa.select(SnareFind.type)) == "cable"
    assert {p.unit.code for p in session.scalars(sa.select(Patrol))} == {"T-02"}


def test_export_writes_a_zip(runner, world, tmp_path):
    path = tmp_path / "p.xml"
    path.write_bytes(standard_patrol())
    assert runner.invoke(args=["smart", "import", str(path), "--unit", "T-01"]).exit_code == 0
    out = tmp_path / "out.zip"
    result = runner.invoke(
        args=[
            "smart",
            "export",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--area",
            "test-area",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as zf:
        assert zf.namelist() == ["SMART_000101-001.xml"]


def test_patrols_import_points_to_smart_import(runner, world, tmp_path, session):
    path = tmp_path / "p.xml"
    path.write_bytes(standard_patrol())
    result = runner.invoke(args=["patrols", "import", str(path), "--unit", "T-01"])
    assert result.exit_code == 1
    assert "patrol smart import" in result.output
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 0
