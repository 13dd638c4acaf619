"""Straight to the bucket: presigned PUT URLs, batches made from object keys, and the incoming folder.
moto's S3 server over HTTP accepts presigned URLs without checking their signature or expiry, so
those properties are checked on the URLs themselves."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import subprocess
import sys
import uuid
from urllib.parse import parse_qs, parse_qsl, quote, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from ingest_api.app import create_app
from ingest_api.auth import create_api_key
from ingest_api.incoming import ingest_incoming
from invoice_processor.db import Batch, Job
from invoice_processor.settings import Settings
from invoice_processor.storage import make_store
from tests import pdf_factory
from tests.conftest import s3_settings_env
from tests.polling import wait_until


@pytest.fixture(scope="module")
def invoice_bytes(tmp_path_factory):
    d = tmp_path_factory.mktemp("direct")
    pdf_factory.make_text_invoice(d / "a.pdf", invoice_number="D-1")
    pdf_factory.make_text_invoice(d / "b.pdf", invoice_number="D-2")
    return (d / "a.pdf").read_bytes(), (d / "b.pdf").read_bytes()


@pytest.fixture
def direct_api(sessions, s3_store, runner_factory):
    runner_factory(s3_store)
    with TestClient(create_app(sessions, s3_store)) as client:
        yield client


def _presign(client, *names, headers=None, **extra):
    response = client.post(
        "/api/v1/uploads/presign", json={"files": [{"filename": n} for n in names], **extra}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    return response.json()["uploads"]


def _put(upload, data: bytes) -> None:
    response = httpx.put(upload["url"], content=data, headers=upload["headers"])
    assert response.status_code == 200, response.text


def test_presigned_urls_are_for_one_key_pinned_to_pdf_and_expire_in_15_minutes(direct_api):
    first, second = _presign(direct_api, "march/a.pdf", "b.pdf")
    assert first["method"] == "PUT" and first["headers"] == {"Content-Type": "application/pdf"}
    assert first["key"].startswith("tenants/default/direct/") and first["key"].endswith("/a.pdf")
    assert first["key"] != second["key"]
    url = urlparse(first["url"])
    query = parse_qs(url.query)
    assert url.path.endswith("/" + first["key"])
    assert query["X-Amz-Expires"] == ["900"]
    assert "content-type" in query["X-Amz-SignedHeaders"][0].split(";")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    (custom,) = _presign(direct_api, "c.pdf", expires_in=60)
    assert parse_qs(urlparse(custom["url"]).query)["X-Amz-Expires"] == ["60"]


def test_batch_from_uploaded_keys_runs_like_an_upload(direct_api, invoice_bytes, s3_store, sessions):
    a, b, never = _presign(direct_api, "a.pdf", "b.pdf", "never-sent.pdf")
    _put(a, invoice_bytes[0])
    _put(b, invoice_bytes[1])
    response = direct_api.post(
        "/api/v1/batches",
        params={"max_workers": 2, "wait": "true"},
        json={"files": [{"key": a["key"]}, {"key": b["key"], "filename": "renamed.pdf"}, {"key": never["key"]}]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["total_files"], body["successful"], body["failed"]) == ("completed", 3, 2, 1)
    by_name = {r["filename"]: r for r in body["results"]}
    assert by_name["a.pdf"]["success"] and by_name["renamed.pdf"]["success"]
    assert "Nothing was uploaded" in by_name["never-sent.pdf"]["error"]
    number = direct_api.get(f"/api/v1/invoices/{by_name['a.pdf']['invoice_id']}").json()["invoice_number"]
    assert number == "D-1"
    with sessions() as session:
        batch = session.get(Batch, body["batch_id"])
        keys = session.scalars(select(Job.object_key).where(Job.batch_id == batch.id, Job.object_key != "")).all()
    assert batch.source == "direct" and batch.max_workers == 2
    assert sorted(keys) == sorted([a["key"], b["key"]])  # used in place, not copied


def test_batch_from_keys_answers_202_at_once_and_is_idempotent(direct_api, invoice_bytes):
    (a,) = _presign(direct_api, "a.pdf")
    _put(a, invoice_bytes[0])
    request = {"params": {"wait": "false"}, "json": {"files": [{"key": a["key"]}]}, "headers": {"Idempotency-Key": "k"}}
    response = direct_api.post("/api/v1/batches", **request)
    assert response.status_code == 202
    assert response.headers["Location"] == f"/api/v1/batches/{response.json()['batch_id']}"
    retried = direct_api.post("/api/v1/batches", **request)
    assert retried.json()["batch_id"] == response.json()["batch_id"]


@pytest.mark.parametrize(
    "key",
    [
        "uploads/x.pdf",
        "tenants/acme/direct/0123/x.pdf",
        "tenants/default/direct/../../acme/direct/x.pdf",
        "tenants/default/uploads/x.pdf",
        # Backslashes are separators to the store: these climb out of the prefix as '/' would.
        "tenants/default/direct/..\\..\\..\\acme\\direct\\0123\\a.pdf",
        "tenants/default/direct/0123\\..\\..\\..\\acme/direct/0123/a.pdf",
    ],
)
def test_keys_outside_the_callers_upload_prefix_are_refused(direct_api, key):
    response = direct_api.post("/api/v1/batches", json={"files": [{"key": key}]})
    assert response.status_code == 403
    assert "outside your upload prefix tenants/default/direct/" in response.json()["detail"]


@pytest.mark.parametrize("bad", ["a\x00b.pdf", "a\x01b.pdf", "a\x1bb.pdf", "a\x7fb.pdf", "a\u202eb.pdf"])
def test_a_key_with_a_control_character_fails_alone_quoting_it_escaped(direct_api, invoice_bytes, sessions, bad):
    """No presigned key holds a control or invisible character: such a key is not looked up, and its file
    fails with a sentence that quotes it escaped; nothing with a NUL reaches a text column."""
    (good,) = _presign(direct_api, "good.pdf")
    _put(good, invoice_bytes[0])
    key = good["key"].rsplit("/", 1)[0] + "/" + bad
    response = direct_api.post(
        "/api/v1/batches", json={"files": [{"key": good["key"]}, {"key": key, "filename": "shown\x00name.pdf"}]}
    )
    assert response.status_code == 200, response.text
    by_name = {r["filename"]: r for r in response.json()["results"]}
    assert by_name["good.pdf"]["success"] is True
    failed = by_name["shownname.pdf"]
    assert failed["success"] is False
    assert failed["error"] == (
        f"The key {key!r} holds a control or invisible character, and no presigned upload's key does: "
        "create the batch with the keys that POST /api/v1/uploads/presign gave you."
    )
    assert bad[1] not in failed["error"]
    with sessions() as session:
        jobs = session.scalars(select(Job).where(Job.batch_id == response.json()["batch_id"])).all()
    for job in jobs:
        for value in (job.filename, job.object_key, job.error or ""):
            assert value.isprintable(), value


@pytest.mark.parametrize("field", ["key", "filename"])
def test_a_lone_surrogate_in_the_json_body_is_a_422_that_says_where(direct_api, field):
    """JSON may escape half of a UTF-16 pair ("\\ud800"), which no UTF-8 can hold: the request is refused,
    and the refusal, which quotes the input, can still be sent."""
    file = {"key": "tenants/default/direct/0123/a.pdf", field: "tenants/default/direct/0123/a\ud800.pdf"}
    # Encoded here (as \\ud800): the test client's own encoder refuses a lone surrogate.
    response = direct_api.post(
        "/api/v1/batches", content=json.dumps({"files": [file]}), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        f"files[0].{field} must be valid Unicode text (a lone surrogate such as \\ud800 cannot be stored); "
        "you sent 'tenants/default/direct/0123/a\\ud800.pdf'."
    )


def test_a_key_longer_than_s3_allows_fails_alone_without_being_looked_up(direct_api, s3_store, monkeypatch):
    key = "tenants/default/direct/0123/" + "é" * 600 + ".pdf"  # 604 characters, 1,230 bytes
    looked_up = []
    monkeypatch.setattr(s3_store, "size", lambda k: looked_up.append(k))  # S3 itself answers 400 here
    response = direct_api.post("/api/v1/batches", json={"files": [{"key": key}]})
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["error"] == (
        f"The key {key!r} is longer than the 1,024 bytes an object key may have, and no presigned upload's key "
        "does: create the batch with the keys that POST /api/v1/uploads/presign gave you."
    )
    assert looked_up == []


def test_a_key_with_backslashes_inside_the_prefix_is_used_as_the_store_reads_it(direct_api, invoice_bytes, sessions):
    (upload,) = _presign(direct_api, "a.pdf")
    _put(upload, invoice_bytes[0])
    key = upload["key"].replace("/direct/", "/direct\\.\\", 1)
    response = direct_api.post("/api/v1/batches", json={"files": [{"key": key}]})
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["success"] is True, result
    with sessions() as session:
        assert session.get(Job, result["job_id"]).object_key == upload["key"]


def test_presigned_urls_stay_inside_the_tenants_prefix(sessions, s3_store, invoice_bytes):
    with sessions.begin() as session:
        key = create_api_key(session, "acme")
    with TestClient(create_app(sessions, s3_store, require_api_keys=True)) as client:
        (upload,) = _presign(client, "../../default/direct/x.pdf", headers={"X-API-Key": key})
        assert upload["key"].startswith("tenants/acme/direct/") and ".." not in upload["key"]
        (other,) = _presign(TestClient(create_app(sessions, s3_store)), "a.pdf")  # the default tenant's
        _put(other, invoice_bytes[0])
        refused = client.post("/api/v1/batches", json={"files": [{"key": other["key"]}]}, headers={"X-API-Key": key})
        assert refused.status_code == 403


def test_a_huge_json_body_is_refused_before_it_is_read(direct_api):
    body = b'{"files": [' + b'{"key": "x"},' * 3_000_000 + b'{"key": "x"}]}'
    response = direct_api.post("/api/v1/batches", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "32 MiB allowed (the limit for JSON requests)" in response.json()["detail"]


def test_with_the_folder_store_direct_uploads_answer_409_saying_how_to_configure_s3(sessions, folder_store):
    with TestClient(create_app(sessions, folder_store)) as client:
        for path, body in (
            ("/api/v1/uploads/presign", {"files": [{"filename": "a.pdf"}]}),
            ("/api/v1/batches", {"files": [{"key": "tenants/default/direct/x/a.pdf"}]}),
        ):
            response = client.post(path, json=body)
            assert response.status_code == 409
            assert "S3_BUCKET" in response.json()["detail"]


def test_incoming_files_become_a_batch_through_the_command(
    database_url, sessions, s3_store, invoice_bytes, runner_factory, queue
):
    s3_store.put("tenants/default/incoming/a.pdf", io.BytesIO(invoice_bytes[0]))
    s3_store.put("tenants/default/incoming/2024/march/b.pdf", io.BytesIO(invoice_bytes[1]))
    s3_store.put("tenants/default/incoming/notes.txt", io.BytesIO(b"not a pdf"))
    done = subprocess.run(
        [sys.executable, "-m", "invoice_processor.cli", "ingest-incoming", "--max-workers", "2"],
        env=s3_settings_env(database_url, s3_store),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "tenant default: batch" in done.stdout and "with 2 files" in done.stdout
    assert "notes.txt is not a .pdf file" in done.stderr
    # Moved: the originals are gone, the other file stays.
    assert list(s3_store.list_keys("tenants/default/incoming")) == ["tenants/default/incoming/notes.txt"]

    runner_factory(s3_store)

    def completed():
        with sessions() as session:
            return session.scalar(select(Batch.status).where(Batch.source == "incoming")) == "completed"

    assert wait_until(completed, timeout_s=60)
    with sessions() as session:
        jobs = session.scalars(select(Job).order_by(Job.filename)).all()
    assert [(j.filename, j.state) for j in jobs] == [("2024/march/b.pdf", "succeeded"), ("a.pdf", "succeeded")]
    assert all(j.object_key.startswith(f"tenants/default/uploads/{j.batch_id}/") for j in jobs)
    # A second scan finds nothing new.
    assert ingest_incoming(queue, s3_store) == []


def test_incoming_files_belong_to_the_tenant_whose_folder_they_are_in(sessions, folder_store, queue, invoice_bytes):
    with sessions.begin() as session:
        create_api_key(session, "acme")
    folder_store.put("tenants/acme/incoming/x.pdf", io.BytesIO(invoice_bytes[0]))
    (imported,) = ingest_incoming(queue, folder_store)
    assert (imported.tenant, imported.files) == ("acme", 1)
    with sessions() as session:
        batch = session.get(Batch, imported.batch_id)
        job = session.scalars(select(Job).where(Job.batch_id == batch.id)).one()
    assert batch.tenant_id == job.tenant_id
    assert job.object_key.startswith(f"tenants/acme/uploads/{batch.id}/")


def test_a_second_scanner_skips_a_tenant_that_is_being_imported(sessions, folder_store, queue, invoice_bytes):
    folder_store.put("tenants/default/incoming/x.pdf", io.BytesIO(invoice_bytes[0]))
    with sessions() as other_scanner:
        other_scanner.execute(text("SELECT pg_advisory_lock(hashtextextended('incoming:default', 0))"))
        assert ingest_incoming(queue, folder_store) == []
        assert list(folder_store.list_keys("tenants/default/incoming")) == ["tenants/default/incoming/x.pdf"]
        other_scanner.execute(text("SELECT pg_advisory_unlock(hashtextextended('incoming:default', 0))"))
    (imported,) = ingest_incoming(queue, folder_store)
    assert imported.files == 1


def _sigv4_signature_holds(url: str, *, host: str, secret_key: str, headers: dict[str, str]) -> bool:
    """Whether url's X-Amz-Signature is the Signature V4 of a PUT to it sent with Host: host and headers,
    computed here from the specification (not by botocore, which made the URL)."""
    parts = urlparse(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    signature = query.pop("X-Amz-Signature")
    signed = query["X-Amz-SignedHeaders"].split(";")
    values = {"host": host, **{name.lower(): value for name, value in headers.items()}}
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    canonical_request = "\n".join(
        ["PUT", parts.path, canonical_query, "".join(f"{name}:{values[name]}\n" for name in signed), ";".join(signed),
         "UNSIGNED-PAYLOAD"]
    )
    scope = query["X-Amz-Credential"].split("/", 1)[1]
    date, region, service, terminator = scope.split("/")
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", query["X-Amz-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = ("AWS4" + secret_key).encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest(), signature)


def test_presigned_urls_are_signed_for_the_public_endpoint_and_upload_there(sessions, s3_endpoint, invoice_bytes):
    """S3_PUBLIC_ENDPOINT_URL names the store as clients reach it (compose: localhost:9000), while the
    services use S3_ENDPOINT_URL (minio:9000). Here both are one moto server: 127.0.0.1 inside, localhost outside."""
    internal = urlparse(s3_endpoint)
    public_host = f"localhost:{internal.port}"
    settings = Settings(
        s3_bucket=f"test-{uuid.uuid4().hex[:12]}",
        s3_endpoint_url=s3_endpoint,
        s3_public_endpoint_url=f"http://{public_host}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    store = make_store(settings)
    store.ensure_bucket()
    assert store.client.meta.endpoint_url == s3_endpoint  # the services' own calls stay on the internal name
    with TestClient(create_app(sessions, store, settings=settings)) as client:
        (upload,) = _presign(client, "a.pdf")
    url = urlparse(upload["url"])
    query = parse_qs(url.query)
    assert (url.scheme, url.netloc) == ("http", public_host)
    assert url.path == f"/{settings.s3_bucket}/{upload['key']}"  # path-style, as MinIO wants
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-SignedHeaders"] == ["content-type;host"]
    assert query["X-Amz-Credential"][0].endswith("/us-east-1/s3/aws4_request")
    assert _sigv4_signature_holds(upload["url"], host=public_host, secret_key="testing", headers=upload["headers"])
    # The host is part of what is signed: the same URL is not valid for the internal name, so a URL made
    # for the internal endpoint and rewritten would be refused by MinIO.
    assert not _sigv4_signature_holds(
        upload["url"], host=internal.netloc, secret_key="testing", headers=upload["headers"]
    )
    _put(upload, invoice_bytes[0])
    assert store.size(upload["key"]) == len(invoice_bytes[0])


def test_without_a_public_endpoint_presigned_urls_use_the_store_endpoint(s3_endpoint):
    settings = Settings(s3_bucket="any", s3_endpoint_url=s3_endpoint, s3_public_endpoint_url="")
    store = make_store(settings)
    url = store.presigned_put_url("tenants/default/direct/a.pdf", expires_s=60, content_type="application/pdf")
    assert urlparse(url).netloc == urlparse(s3_endpoint).netloc
    assert store.presign_client is store.client
