"""API keys and tenants: a key sees only its tenant's batches, jobs, objects, invoices and documents;
keys are stored hashed; the API requires keys when it listens beyond loopback."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from ingest_api.app import create_app
from invoice_processor.cli import _api_keys_required
from invoice_processor.db import ApiKey, Invoice, Job, Tenant
from invoice_processor.settings import Settings
from tests import pdf_factory
from tests.conftest import free_port
from tests.polling import wait_until


def _create_key(database_url: str, tenant: str) -> str:
    """Through the real command, as an administrator would."""
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "invoice_processor.cli", "create-api-key", "--tenant", tenant],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key = done.stdout.strip()
    assert "shown only this once" in done.stderr
    return key


@pytest.fixture
def invoice_pdf(tmp_path):
    pdf_factory.make_text_invoice(tmp_path / "invoice.pdf", invoice_number="T-1")
    return (tmp_path / "invoice.pdf").read_bytes()


def _upload(client, key, data, name="invoice.pdf"):
    return client.post(
        "/api/v1/invoices/upload",
        headers={"Authorization": f"Bearer {key}"},
        files={"file": (name, io.BytesIO(data), "application/pdf")},
    )


def test_create_api_key_prints_it_once_and_stores_only_its_digest(database_url, sessions):
    key = _create_key(database_url, "acme")
    assert key.startswith("ipk_") and len(key) > 40
    with sessions() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.name == "acme"))
        stored = session.scalar(select(ApiKey).where(ApiKey.tenant_id == tenant.id))
        # Nowhere in the database is the key itself.
        dump = session.execute(text("SELECT string_agg(t::text, ' ') FROM api_keys t")).scalar()
    assert stored.key_sha256 != key and len(stored.key_sha256) == 64
    assert key not in dump
    second = _create_key(database_url, "acme")
    assert second != key


def test_create_api_key_refuses_a_bad_tenant_name(database_url):
    done = subprocess.run(
        [sys.executable, "-m", "invoice_processor.cli", "create-api-key", "--tenant", "../Evil Corp"],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "not a valid tenant name" in done.stderr


def test_a_key_sees_only_its_tenants_data(database_url, sessions, s3_store, runner_factory, invoice_pdf):
    acme, globex = _create_key(database_url, "acme"), _create_key(database_url, "globex")
    runner_factory(s3_store)
    with TestClient(create_app(sessions, s3_store, require_api_keys=True)) as client:
        response = _upload(client, acme, invoice_pdf)
        assert response.status_code == 200, response.text
        body = response.json()
        invoice_id = body["results"][0]["invoice_id"]
        job_id = body["results"][0]["job_id"]
        batch_id = body["batch_id"]
        as_acme = {"Authorization": f"Bearer {acme}"}
        as_globex = {"X-API-Key": globex}

        assert client.get(f"/api/v1/invoices/{invoice_id}", headers=as_acme).status_code == 200
        for path in (f"/api/v1/batches/{batch_id}", f"/api/v1/jobs/{job_id}", f"/api/v1/invoices/{invoice_id}"):
            assert client.get(path, headers=as_globex).status_code == 404, path
        assert client.post(f"/api/v1/batches/{batch_id}/cancel", headers=as_globex).status_code == 404
        assert client.delete(f"/api/v1/invoices/{invoice_id}", headers=as_globex).status_code == 404
        assert client.get("/api/v1/invoices", headers=as_globex).json() == {"data": [], "count": 0}
        assert client.get("/api/v1/invoices", headers=as_acme).json()["count"] == 1
        # Still there for its owner after the other tenant's delete.
        assert client.get(f"/api/v1/invoices/{invoice_id}", headers=as_acme).status_code == 200

    with sessions() as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.name == "acme"))
        job = session.get(Job, job_id)
        invoice = session.get(Invoice, invoice_id)
    assert job.tenant_id == tenant_id and invoice.tenant_id == tenant_id
    assert job.object_key.startswith(f"tenants/acme/uploads/{batch_id}/")
    assert all(key.startswith("tenants/acme/") for key in s3_store.list_keys("tenants"))


def test_documents_are_per_tenant_too(database_url, sessions, folder_store, runner_factory, tmp_path):
    acme, globex = _create_key(database_url, "acme"), _create_key(database_url, "globex")
    pdf_factory.make_letter(tmp_path / "letter.pdf")
    runner_factory(folder_store)
    with TestClient(create_app(sessions, folder_store, require_api_keys=True)) as client:
        body = _upload(client, acme, (tmp_path / "letter.pdf").read_bytes(), "letter.pdf").json()
        document_id = body["results"][0]["document_id"]
        assert client.get(f"/api/v1/other-documents/{document_id}", headers={"X-API-Key": acme}).status_code == 200
        assert client.get(f"/api/v1/other-documents/{document_id}", headers={"X-API-Key": globex}).status_code == 404
        assert client.get("/api/v1/other-documents", headers={"X-API-Key": globex}).json()["count"] == 0


def test_without_a_valid_key_the_api_answers_401_with_what_to_do(sessions, folder_store, database_url):
    with TestClient(create_app(sessions, folder_store, require_api_keys=True)) as client:
        missing = client.get("/api/v1/invoices")
        assert missing.status_code == 401
        assert "create-api-key" in missing.json()["detail"]
        assert missing.headers["WWW-Authenticate"] == "Bearer"
        wrong = client.get("/api/v1/invoices", headers={"Authorization": "Bearer ipk_not-a-key"})
        assert wrong.status_code == 401
        assert "not valid" in wrong.json()["detail"]
        assert client.get("/health").status_code == 200  # probes need no key


def test_revoked_key_is_refused(database_url, sessions, folder_store):
    key = _create_key(database_url, "acme")
    with sessions.begin() as session:
        session.execute(text("UPDATE api_keys SET revoked_at = now()"))
    with TestClient(create_app(sessions, folder_store, require_api_keys=True)) as client:
        assert client.get("/api/v1/invoices", headers={"X-API-Key": key}).status_code == 401


def test_keys_optional_on_loopback_and_a_key_still_picks_its_tenant(database_url, sessions, folder_store):
    key = _create_key(database_url, "acme")
    with TestClient(create_app(sessions, folder_store, require_api_keys=False)) as client:
        assert client.get("/api/v1/invoices").status_code == 200
        assert client.get("/api/v1/invoices", headers={"X-API-Key": "ipk_wrong"}).status_code == 401
        assert client.get("/api/v1/invoices", headers={"X-API-Key": key}).status_code == 200


def test_keys_are_required_beyond_loopback_unless_turned_off(caplog):
    caplog.set_level(logging.INFO, logger="invoice_processor")
    assert _api_keys_required(Settings(), "127.0.0.1") is False
    assert _api_keys_required(Settings(), "::1") is False
    assert _api_keys_required(Settings(), "localhost") is False
    assert _api_keys_required(Settings(), "0.0.0.0") is True
    assert "API keys required (listening on 0.0.0.0)" in caplog.text
    assert _api_keys_required(Settings(require_api_keys=False), "0.0.0.0") is False
    assert "NOT required although listening on 0.0.0.0" in caplog.text
    assert _api_keys_required(Settings(require_api_keys=True), "127.0.0.1") is True


def test_api_on_all_addresses_requires_keys_and_says_so(database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    env.pop("REQUIRE_API_KEYS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "invoice_processor.cli", "api", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(answers, timeout_s=30), "the API did not start"
        assert httpx.get(f"{url}/api/v1/invoices").status_code == 401
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "API keys required (listening on 0.0.0.0)" in output
