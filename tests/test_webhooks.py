"""Webhooks end to end: real PostgreSQL, the folder store, in-process runners, and a real receiver on
127.0.0.1 (http.server in a thread) that verifies every delivery's signature with the standardwebhooks
package. Backoff is made short through DeliveryOptions; the tests wait for states, never for times."""

from __future__ import annotations

import io
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from standardwebhooks import Webhook

from ingest_api.app import create_app
from ingest_api.auth import create_api_key
from invoice_processor.db import Tenant
from invoice_processor.queue import NewFile
from invoice_processor.webhooks import WebhookOutbox
from job_runner.webhooks import DeliveryOptions, WebhookSender
from tests import pdf_factory
from tests.polling import wait_until

EVENTS = ["batch.completed", "job.failed", "invoice.corrected"]
FAST = DeliveryOptions(poll_interval_s=0.05, timeout_s=5.0, backoff_base_s=0.05, backoff_cap_s=0.2)


class Receiver:
    """An endpoint that answers the statuses it is told to, in order (then `default`), and keeps every
    request with whether its signature verified against `secret`."""

    def __init__(self):
        self.secret: str | None = None
        self.statuses: list[int] = []
        self.default = 200
        self.received: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["content-length"]))
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers))
                    verified = True
                except Exception:  # noqa: BLE001 - recorded, asserted by the tests
                    payload, verified = json.loads(body), False
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
                    receiver.received.append(
                        {"id": self.headers["webhook-id"], "payload": payload, "verified": verified, "status": status}
                    )
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def events(self, status: int = 200) -> list[dict]:
        """The payloads answered with `status`."""
        with self.lock:
            return [r["payload"] for r in self.received if r["status"] == status]


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def client(sessions, folder_store):
    with TestClient(create_app(sessions, folder_store)) as client:
        yield client


@pytest.fixture
def start_runner(runner_factory, folder_store, sessions):
    def start():
        return runner_factory(folder_store, webhooks=WebhookSender(WebhookOutbox(sessions), FAST))

    return start


@pytest.fixture(scope="module")
def invoice_pdf(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("pdfs") / "invoice.pdf"
    pdf_factory.make_text_invoice(path, invoice_number="WH-2024-001")
    return path.read_bytes()


def _register(client, receiver, events=EVENTS, **headers) -> dict:
    response = client.post("/api/v1/webhooks", json={"url": receiver.url, "events": events}, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    receiver.secret = created["secret"]
    return created


def _deliveries(client, webhook_id, **headers) -> list[dict]:
    response = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _all_final(client, webhook_id, count: int) -> bool:
    rows = _deliveries(client, webhook_id)
    return len(rows) == count and all(row["state"] != "pending" for row in rows)


def test_delivery_is_retried_until_2xx_and_its_log_shows_each_attempt(client, receiver, start_runner, invoice_pdf):
    webhook = _register(client, receiver, events=["batch.completed"])
    receiver.statuses = [500, 500]
    start_runner()
    response = client.post(
        "/api/v1/invoices/batch-upload", files=[("files", ("invoice.pdf", io.BytesIO(invoice_pdf), "application/pdf"))]
    )
    assert response.status_code == 200, response.text
    batch_id = response.json()["batch_id"]

    assert wait_until(lambda: _all_final(client, webhook["id"], 1), timeout_s=30)
    (delivery,) = _deliveries(client, webhook["id"])
    print("\ndelivery log:", json.dumps(delivery, indent=1))
    assert delivery["state"] == "delivered" and delivery["attempts"] == 3
    assert delivery["next_attempt_at"] is None and delivery["finished_at"] is not None
    log = delivery["attempt_log"]
    assert [(a["attempt"], a["status_code"]) for a in log] == [(1, 500), (2, 500), (3, 200)]
    assert [a["error"] for a in log] == ["Answered HTTP 500, not 2xx.", "Answered HTTP 500, not 2xx.", None]
    assert log[0]["at"] < log[1]["at"] < log[2]["at"]

    assert [r["verified"] for r in receiver.received] == [True, True, True]
    assert len({r["id"] for r in receiver.received}) == 1 == len({delivery["message_id"]})
    (payload,) = receiver.events(200)
    assert payload == delivery["payload"]
    assert payload["type"] == "batch.completed" and payload["timestamp"].endswith("Z")
    data = payload["data"]
    assert (data["batch_id"], data["total_files"], data["succeeded"], data["failed"]) == (batch_id, 1, 1, 0)


def test_failed_job_completed_batch_and_correction_are_sent(client, receiver, start_runner, invoice_pdf):
    webhook = _register(client, receiver)
    start_runner()
    response = client.post(
        "/api/v1/invoices/batch-upload",
        files=[
            ("files", ("invoice.pdf", io.BytesIO(invoice_pdf), "application/pdf")),
            ("files", ("notes.pdf", io.BytesIO(b"just some text, not a PDF"), "application/pdf")),
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    good, bad = body["results"]
    assert not bad["success"]
    patched = client.patch(f"/api/v1/invoices/{good['invoice_id']}", json={"invoice_number": "WH-FIXED"})
    assert patched.status_code == 200, patched.text

    assert wait_until(lambda: _all_final(client, webhook["id"], 3), timeout_s=30)
    assert {d["state"] for d in _deliveries(client, webhook["id"])} == {"delivered"}
    assert all(r["verified"] for r in receiver.received)
    by_type = {p["type"]: p["data"] for p in receiver.events(200)}
    assert set(by_type) == set(EVENTS)
    failed = by_type["job.failed"]
    assert (failed["job_id"], failed["batch_id"], failed["filename"]) == (bad["job_id"], body["batch_id"], "notes.pdf")
    assert failed["error"] == bad["error"] and failed["error_kind"] == "permanent"
    completed = by_type["batch.completed"]
    assert (completed["total_files"], completed["succeeded"], completed["failed"]) == (2, 1, 1)
    corrected = by_type["invoice.corrected"]
    assert corrected["invoice_id"] == good["invoice_id"] and corrected["fields"] == ["invoice_number"]
    assert corrected["changes"]["invoice_number"]["new"] == "WH-FIXED"


def test_a_runner_restart_loses_no_delivery(client, receiver, start_runner, queue, sessions, caplog):
    """One delivery is claimed by a runner that dies mid-POST (its claim is never recorded); another gets a
    500 from runner A, which then stops; runner B delivers both."""
    webhook = _register(client, receiver, events=["batch.completed", "job.failed"])
    refused = [NewFile(f"f{i}.pdf", None, 10, error="Refused at ingest.") for i in range(2)]
    batch = queue.enqueue_batch(uuid.uuid4(), refused, max_workers=1, source="upload")
    assert wait_until(lambda: len(_deliveries(client, webhook["id"])) == 3)
    (dead,) = WebhookOutbox(sessions).claim_deliveries(1, claim_s=1.0)

    receiver.default = 500
    runner_a = start_runner()
    assert wait_until(lambda: len(receiver.received) >= 2)
    runner_a.stop()
    assert wait_until(lambda: not any(t.name == "runner-webhooks" and t.is_alive() for t in threading.enumerate()))
    assert {d["state"] for d in _deliveries(client, webhook["id"])} == {"pending"}

    receiver.default = 200
    start_runner()
    assert wait_until(lambda: _all_final(client, webhook["id"], 3), timeout_s=30)
    rows = {d["id"]: d for d in _deliveries(client, webhook["id"])}
    assert {d["state"] for d in rows.values()} == {"delivered"}
    # The dead runner's attempt 1 has no entry; the next claim took it over.
    assert rows[dead.id]["attempt_log"][0]["attempt"] >= 2
    assert all(d["attempt_log"][-1]["status_code"] == 200 for d in rows.values())
    assert any(a["status_code"] == 500 for d in rows.values() for a in d["attempt_log"])
    delivered = receiver.events(200)
    assert len(delivered) == 3 and all(r["verified"] for r in receiver.received)
    (completed,) = [p["data"] for p in delivered if p["type"] == "batch.completed"]
    # Counted at commit (a deferred trigger): the batch row was inserted completed before its jobs.
    assert (completed["batch_id"], completed["total_files"], completed["failed"]) == (str(batch.id), 2, 2)


def test_cancelled_batch_records_batch_completed(client, receiver, invoice_pdf):
    webhook = _register(client, receiver, events=["batch.completed"])
    response = client.post(
        "/api/v1/invoices/batch-upload",
        params={"wait": "false"},
        files=[("files", ("invoice.pdf", io.BytesIO(invoice_pdf), "application/pdf"))],
    )
    batch_id = response.json()["batch_id"]
    assert _deliveries(client, webhook["id"]) == []
    assert client.post(f"/api/v1/batches/{batch_id}/cancel").status_code == 200
    (delivery,) = _deliveries(client, webhook["id"])
    assert delivery["state"] == "pending" and delivery["event"] == "batch.completed"
    data = delivery["payload"]["data"]
    assert (data["batch_id"], data["cancelled"], data["succeeded"]) == (batch_id, 1, 0)


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("ftp://example.com/hook", "url must be an http:// or https:// URL; you sent 'ftp://example.com/hook'."),
        ("example.com/hook", "url must be an http:// or https:// URL; you sent 'example.com/hook'."),
        ("https:///hook", "url must name a host; you sent 'https:///hook'."),
        ("http://example.com:99999/", "url is not a valid URL; you sent 'http://example.com:99999/'."),
    ],
)
def test_a_url_that_is_not_http_is_refused(client, url, detail):
    response = client.post("/api/v1/webhooks", json={"url": url, "events": ["job.failed"]})
    assert response.status_code == 422
    assert response.json()["detail"] == detail
    assert client.get("/api/v1/webhooks").json()["count"] == 0


def test_unknown_events_are_refused(client):
    response = client.post("/api/v1/webhooks", json={"url": "https://example.com/", "events": ["batch.done"]})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "events must list one or more of batch.completed, job.failed, invoice.corrected; you sent ['batch.done']."
    )


def test_webhooks_and_their_events_are_the_tenants_own(sessions, folder_store, queue, receiver):
    with sessions.begin() as session:
        acme, globex = create_api_key(session, "acme"), create_api_key(session, "globex")
    with sessions() as session:
        globex_id = session.scalar(select(Tenant.id).where(Tenant.name == "globex"))
    a, b = {"X-API-Key": acme}, {"X-API-Key": globex}
    with TestClient(create_app(sessions, folder_store, require_api_keys=True)) as client:
        webhook = _register(client, receiver, **a)
        listed = client.get("/api/v1/webhooks", headers=a).json()
        assert listed["count"] == 1 and "secret" not in listed["data"][0]
        assert client.get("/api/v1/webhooks", headers=b).json() == {"data": [], "count": 0}
        for response in (
            client.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", headers=b),
            client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=b),
        ):
            assert (response.status_code, response.json()["detail"]) == (404, "Webhook not found")

        # globex's batch is not acme's event.
        refused = [NewFile("f.pdf", None, 10, error="Refused at ingest.")]
        queue.enqueue_batch(uuid.uuid4(), refused, max_workers=1, source="upload", tenant_id=globex_id)
        assert _deliveries(client, webhook["id"], **a) == []

        assert client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=a).status_code == 204
        assert client.get("/api/v1/webhooks", headers=a).json()["count"] == 0
