"""Schemathesis against ``/openapi.json``: no input makes the API answer 5xx, and every answer
is one the document describes (status code, content type, body shape).

The real app under uvicorn, the resident API and the admin API (with a bearer token). Each
operation gets a fixed number of valid and of invalid examples, generated derandomized, so a
run asks the same questions every time and stays well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from hub.config import Settings
from tests.admin.conftest import make_token
from tests.conftest import LiveServer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[LiveServer, str]]:
    # The admin routers built up front: the schema is fetched at once, and building them on that
    # first fetch (tests/test_deferred_routes.py) took longer than its 10 s timeout on a loaded machine.
    with LiveServer(settings, defer_admin=False) as server:
        yield server, make_token(server.hub, "fuzz")


def _exercise(schema: schemathesis.BaseSchema, mode: GenerationMode, token: str) -> list[str]:
    """Every ``/api/v1`` operation with ``EXAMPLES`` cases of ``mode``; the failures, described."""
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    for result in schema.include(path_regex=r"^/api/v1/").get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def ask(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            ask()
        except FailureGroup as group:  # keep going: report every operation's failures at once
            failures.append(f"{operation.label}: {group}")
        except Unsatisfiable:  # no parameters and no body: nothing can be sent wrong
            assert mode is GenerationMode.NEGATIVE, operation.label
    return failures


@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_operation_answers_as_documented(served: tuple[LiveServer, str], mode: GenerationMode) -> None:
    server, token = served
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    failures = _exercise(schema, mode, token)
    assert not failures, "\n\n".join(failures)


def test_the_document_names_one_error_shape(client: httpx.Client) -> None:
    """Bad input is documented as the hub's ``InvalidInput``, never FastAPI's unused default."""
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["InvalidInput"]["properties"]["detail"]["items"] == {
        "$ref": "#/components/schemas/FieldProblem"
    }
    assert set(schemas["FieldProblem"]["required"]) == {"field", "message", "type"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not path.startswith("/api/v1/") or not (
                operation.get("parameters") or "requestBody" in operation
            ):
                continue
            answers = operation["responses"]
            assert answers["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/InvalidInput"
            }, (method, path)
            if path.startswith("/api/v1/admin/"):
                assert {"401", "403"} <= set(answers), (method, path)
