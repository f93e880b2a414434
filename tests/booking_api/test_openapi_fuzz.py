"""Schemathesis against a real server: every operation of /openapi.json, with what a kiosk, a clerk
and a manager would send and with what nobody should (wrong types, missing fields, unknown fields),
answers without a 5xx, with a status the document lists for it, and with a body its schema allows.

Bounded to about a minute in all: six examples per operation and role (besides the documented examples and
the boundary values of the coverage phase), generated the same way every run.
The office is the demo office with its booking rate limits off, so that the run explores the
routes rather than the limits.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from booking_api.openapi import openapi_document
from tests.conftest import DEMO_OFFICE, Demo, running_demo

# A deeper hunt: OKIENKO_FUZZ_EXAMPLES=100 pytest tests/booking_api/test_openapi_fuzz.py
EXAMPLES_PER_OPERATION = int(os.environ.get("OKIENKO_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("kiosk", "clerk", "manager")


def office_without_rate_limits(folder: Path) -> Path:
    office = folder / "office.toml"
    text = DEMO_OFFICE.read_text(encoding="utf-8")
    for key in ("per_address_per_hour", "per_contact_per_day", "listings_per_address_per_minute"):
        text, found = re.subn(rf"^{key} = \d+$", f"{key} = 0", text, flags=re.MULTILINE)
        if not found:
            text = text.replace("[office.booking]\n", f"[office.booking]\n{key} = 0\n")
    office.write_text(text, encoding="utf-8")
    return office


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("fuzzed")
    with running_demo(folder, office_file=office_without_rate_limits(folder)) as demo:
        tokens = {"kiosk": demo.token("kiosk", "hall-1"), "clerk": demo.staff_token("urzednik"),
                  "manager": demo.staff_token("kierownik")}
        yield demo, tokens


@pytest.fixture(scope="module", params=ROLES)
def credentials(request: pytest.FixtureRequest, server: tuple[Demo, dict[str, str]]) -> dict[str, str]:
    return {"Authorization": f"Bearer {server[1][request.param]}"}


# The document the server serves at /openapi.json (a test below holds the two equal), read at import
# so that pytest lists one test per operation (and role).
DOCUMENT = openapi_document()
SIGNED_IN = {(method.upper(), path) for path, operations in DOCUMENT["paths"].items()
             for method, operation in operations.items() if operation.get("security")}
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.update(request_timeout=20)
schema.config.generation.update(modes=["positive", "negative"], max_examples=EXAMPLES_PER_OPERATION,
                                deterministic=True, with_security_parameters=False, database="none")
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
public = schema.exclude(func=lambda context: (context.operation.method.upper(), context.operation.path) in SIGNED_IN)
signed_in = schema.include(func=lambda context: (context.operation.method.upper(), context.operation.path) in SIGNED_IN)
BOUNDS = settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def test_the_server_serves_the_document_fuzzed(server: tuple[Demo, dict[str, str]]) -> None:
    demo, _tokens = server
    assert httpx.get(f"{demo.url}/openapi.json").json() == json.loads(json.dumps(DOCUMENT))


@public.parametrize()
@BOUNDS
def test_every_public_operation_answers_as_documented(case: Any, server: tuple[Demo, dict[str, str]]) -> None:
    case.call_and_validate(base_url=server[0].url, checks=CHECKS)


@signed_in.parametrize()
@BOUNDS
def test_every_operation_answers_as_documented_to_each_role(case: Any, server: tuple[Demo, dict[str, str]],
                                                            credentials: dict[str, str]) -> None:
    case.call_and_validate(base_url=server[0].url, headers=credentials, checks=CHECKS)
