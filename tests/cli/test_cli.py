"""The `patrol` command: areas, units, users, tokens, patrols, recompute."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from patrol.store.models import ApiToken, ConservationArea, EffortCell, Unit, User
from tests.conftest import CX, CY, make_report, square


def test_init_is_idempotent(runner):
    for _ in range(2):
        result = runner.invoke(args=["init"])
        assert result.exit_code == 0, result.output


def test_area_units_users_tokens(runner, tmp_path, session, client):
    boundary = tmp_path / "area.geojson"
    boundary.write_text(json.dumps(square(CX, CY, 5000)))
    result = runner.invoke(
        args=[
            "areas",
            "create",
            "north",
            "--name",
            "North",
            "--boundary",
            str(boundary),
            "--timezone",
            "Asia/Vladivostok",
        ]
    )
    assert result.exit_code == 0, result.output
    area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == "north"))
    assert area.area_km2 == pytest.approx(100.0, rel=1e-3)
    assert area.epsg == 32652

    units = tmp_path / "units.geojson"
    units.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [131.3, 43.2]},
                        "properties": {"code": "N-01", "name": "North 1"},
                    }
                ],
            }
        )
    )
    result = runner.invoke(args=["units", "import", "--area", "north", str(units)])
    assert result.exit_code == 0, result.output
    session.rollback()  # a fresh snapshot: the command committed in its own session
    assert session.scalar(sa.select(Unit.code)) == "N-01"

    result = runner.invoke(
        args=[
            "users",
            "create",
            "ivan",
            "--role",
            "ranger",
            "--unit",
            "N-01",
            "--password",
            "long enough password",
        ]
    )
    assert result.exit_code == 0, result.output
    session.rollback()
    user = session.scalar(sa.select(User).where(User.username == "ivan"))
    assert user.password_hash and "long enough" not in user.password_hash
    bad = runner.invoke(
        args=["users", "create", "petr", "--role", "ranger", "--password", "long enough password"]
    )
    assert bad.exit_code == 1 and "/unit" in bad.output

    result = runner.invoke(args=["tokens", "create", "ivan"])
    assert result.exit_code == 0
    token = result.output.strip()
    session.rollback()
    stored = session.scalar(sa.select(ApiToken))
    assert (
        token.startswith("ptl_")
        and stored.token_hash != token
        and token not in str(stored.token_hash)
    )
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(make_report(unit="N-01", finds=())),
        content_type="application/geo+json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.get_json()
    assert runner.invoke(args=["tokens", "revoke", token]).exit_code == 0
    assert runner.invoke(args=["tokens", "revoke", token]).exit_code == 1


def test_patrols_import_and_recompute(runner, world, tmp_path, session):
    path = tmp_path / "r.geojson"
    path.write_text(json.dumps(make_report()))
    result = runner.invoke(args=["patrols", "import", str(path)])
    assert result.exit_code == 0, result.output
    before = sorted(
        (c.ix, c.iy, round(c.effort_km, 9)) for c in session.scalars(sa.select(EffortCell))
    )
    session.execute(sa.delete(EffortCell))
    session.commit()
    result = runner.invoke(args=["recompute"])
    assert result.exit_code == 0 and "1 patrols recomputed" in result.output
    session.rollback()
    after = sorted(
        (c.ix, c.iy, round(c.effort_km, 9)) for c in session.scalars(sa.select(EffortCell))
    )
    assert after == before and after
