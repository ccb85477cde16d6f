"""Schemathesis against /api/v1/openapi.json: requests generated from the document, as every
role, on both databases: no server error and no answer that contradicts the document.

A short, seeded run (``derandomize``): the same requests every time, so a failure is
reproducible; the deep sweep of report bodies is tests/api/test_hostile.py.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from patrol.api.openapi import SPEC
from tests.conftest import make_report

OPERATIONS = [
    (path, method)
    for path, item in SPEC["paths"].items()
    for method in item
    if method in ("get", "post", "put", "patch", "delete")
]


@pytest.fixture
def api_schema(app, world, client):
    # A stored patrol, so that reads by id and edits reach past "not found" now and then.
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(make_report()),
        content_type="application/geo+json",
        headers=world.auth("ranger1"),
    )
    assert r.status_code == 201
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("who", ["coord", "ranger1", "ngo"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_the_api_keeps_to_its_document(api_schema, world, path, method, who):
    operation = api_schema[path][method.upper()]

    @settings(
        max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(data=st.data())
    def run(data):
        case = data.draw(operation.as_strategy())
        # Schema-valid values may still name what does not exist (a unit, a zone, an id), so
        # a 4xx for them is right; every other check applies: no 5xx, status codes, content
        # types, headers and bodies as documented, schema-invalid input refused.
        # The WSGI transport sends requests' default Accept-Encoding but, unlike an HTTP
        # client, does not decode the answer: ask for none (tests/api/test_wire.py checks
        # that compressed answers decode to the same ones).
        headers = {**world.auth(who), "Accept-Encoding": "identity"}
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()
