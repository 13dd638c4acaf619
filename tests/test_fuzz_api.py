"""Schemathesis fuzzing over the API's own OpenAPI document, in-process (ASGI, no network), on a real
PostgreSQL database and the folder store: no generated request, valid or not, may answer a 5xx.

Bounded for CI: a fixed number of examples per operation from a fixed seed (the same cases on every run of
the same document), no deadline and no shrinking, so the module takes about a minute and reports a failing
case as generated, with a curl line to replay it."""

from __future__ import annotations

import uuid

import hypothesis
import pytest
import schemathesis
from psycopg import sql
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import sessionmaker

from ingest_api.app import API_PREFIX, create_app
from invoice_processor.db import make_engine, make_sessionmaker
from invoice_processor.storage import FolderStore
from tests.conftest import _admin, _with_database

EXAMPLES_PER_OPERATION = 50
# Each operation draws from this seed mixed with its label: the same cases on every run, whatever else changes.
SEED = 20240601
# Besides these, schemathesis' coverage phase adds a fixed set of boundary cases per operation.
FUZZ_SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    # Generating multipart bodies on a loaded 2-core CI machine must not fail the run by itself.
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
# A request that hangs anyway (an upload left waiting for runners) fails after this instead of blocking CI.
REQUEST_TIMEOUT_S = 30
# Left out, each for a reason that is not a bug in this test's sense:
# - positive_data_acceptance: the document allows what the API refuses on purpose: a `files` array with no
#   items (no minItems), and any bytes where it wants a PDF or a ZIP (400);
# - ignored_auth: this app does not require keys (the second test below covers the one that does);
# - unsupported_method: Starlette's 405 carries no Allow header.
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
    negative_data_rejection,
    status_code_conformance,
]


def _config(*, negative: bool) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all" if negative else "positive",
                "deterministic": True,
                # The security schemes would otherwise put random keys in most requests, which then never get
                # past get_caller's 401; without a key the open app acts as the default tenant.
                "with-security-parameters": False,
            },
        }
    )


# The operations are collected from the document before any fixture exists, so it is read from an app of its
# own that never handles a request (nothing is bound to its sessionmaker); the cases go to `fuzz_app` below.
# schemathesis.pytest.from_fixture would avoid this, but 4.32 reads Function._nodeid, which pytest 9.2 removed.
_DOCUMENT_APP = create_app(sessionmaker(), store=None)
open_schema = schemathesis.openapi.from_asgi("/openapi.json", _DOCUMENT_APP, config=_config(negative=True))
keyed_schema = schemathesis.openapi.from_asgi(
    "/openapi.json", _DOCUMENT_APP, config=_config(negative=False)
).include(path_regex=f"^{API_PREFIX}/")


@pytest.fixture(scope="module")
def fuzz_sessions(postgres_admin_url, template_database):
    """A migrated database shared by all the fuzzed operations of this module: the `sessions` fixture's
    database per test would be one per operation, for no gain."""
    name = f"ip_fuzz_{uuid.uuid4().hex[:8]}"
    with _admin(postgres_admin_url) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template_database))
        )
    engine = make_engine(_with_database(postgres_admin_url, name), pool_size=8)
    yield make_sessionmaker(engine)
    engine.dispose()
    with _admin(postgres_admin_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    return FolderStore(tmp_path_factory.mktemp("fuzz") / "objects")


@pytest.fixture(scope="module")
def fuzz_app(fuzz_sessions, fuzz_store):
    return create_app(fuzz_sessions, fuzz_store)


@pytest.fixture(scope="module")
def keyed_app(fuzz_sessions, fuzz_store):
    return create_app(fuzz_sessions, fuzz_store, require_api_keys=True)


def _answer_at_once(case: schemathesis.Case) -> None:
    """The uploads wait by default until runners have processed every file; there are none here, so every
    upload is sent with wait=false (202 at once), whatever was generated for `wait`, invalid values too."""
    if any(parameter.name == "wait" for parameter in case.operation.query):
        case.query = {**(case.query or {}), "wait": "false"}


@open_schema.parametrize()
@FUZZ_SETTINGS
def test_no_generated_request_answers_a_server_error(case: schemathesis.Case, fuzz_app):
    _answer_at_once(case)
    case.call_and_validate(app=fuzz_app, timeout=REQUEST_TIMEOUT_S, checks=CHECKS)


@keyed_schema.parametrize()
@hypothesis.settings(FUZZ_SETTINGS, max_examples=5)
def test_every_api_operation_without_a_key_answers_401(case: schemathesis.Case, keyed_app):
    _answer_at_once(case)
    response = case.call(app=keyed_app, timeout=REQUEST_TIMEOUT_S)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code == 401, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
