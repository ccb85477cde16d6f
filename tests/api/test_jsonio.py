"""The orjson provider means what Flask's default provider meant (patrol/jsonio.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
from flask.json.provider import DefaultJSONProvider

from patrol.jsonio import FastJSONProvider


def test_same_document_as_the_default_provider(app):
    doc = {
        "b": [1, 2.5, "Кедровая Падь", None, True],
        "a": {"z": 1e-05, "y": np.float64(0.125), "x": np.int64(7)},
        "when": datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        "day": date(2026, 1, 31),
    }
    fast = FastJSONProvider(app)
    slow = DefaultJSONProvider(app)
    plain = {**doc, "a": {"z": 1e-05, "y": 0.125, "x": 7}}
    assert json.loads(fast.dumps(doc)) == json.loads(slow.dumps(plain))
    # Keys stay sorted, as the default provider writes them.
    assert list(json.loads(fast.dumps(doc))) == ["a", "b", "day", "when"]


def test_nan_is_null_not_an_invalid_token(app):
    text = FastJSONProvider(app).dumps({"v": float("nan")})
    assert json.loads(text) == {"v": None}


def test_what_orjson_cannot_encode_falls_back(app):
    big = 2**70
    assert json.loads(FastJSONProvider(app).dumps({"v": big})) == {"v": big}
    with app.test_request_context():
        response = app.json.response({"v": big, "name": "Барс"})
    assert json.loads(response.get_data()) == {"v": big, "name": "Барс"}
    assert response.mimetype == "application/json"
