"""Seeing, checking and correcting results through the API: the list of batches, the invoice list's
filters, a batch with its results' fields inline, and corrections kept with who and when (real runner,
real PostgreSQL, real PDFs)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient

from ingest_api.app import create_app
from tests import pdf_factory


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    d = tmp_path_factory.mktemp("review")
    made = {}
    for name, seller, number, date in [
        ("march", "Atelier Dupont SARL", "REV-001", dt.date(2024, 3, 15)),
        ("april", "Atelier Dupont SARL", "REV-002", dt.date(2024, 4, 15)),
        ("may", "Brasserie Lefèvre SAS", "REV-003", dt.date(2024, 5, 15)),
    ]:
        pdf_factory.make_text_invoice(d / f"{name}.pdf", seller=seller, invoice_number=number, date=date)
        made[name] = (d / f"{name}.pdf").read_bytes()
    pdf_factory.make_letter(d / "letter.pdf")
    made["letter"] = (d / "letter.pdf").read_bytes()
    return made


@pytest.fixture
def api(sessions, folder_store, runner_factory):
    runner_factory(folder_store)
    with TestClient(create_app(sessions, folder_store)) as client:
        yield client


def _send(api, pdfs, *names):
    response = api.post(
        "/api/v1/invoices/batch-upload",
        files=[("files", (f"{name}.pdf", io.BytesIO(pdfs[name]), "application/pdf")) for name in names],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["successful"] == len(names), body
    return body


@pytest.fixture
def two_batches(api, pdfs):
    first = _send(api, pdfs, "march", "april")
    second = _send(api, pdfs, "may", "letter")
    return first, second


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(invoice["invoice_number"] for invoice in response.json()["data"])


def test_batches_are_listed_newest_first_with_their_progress(api, two_batches):
    first, second = two_batches
    body = api.get("/api/v1/batches").json()
    assert body["count"] == 2
    assert [b["batch_id"] for b in body["data"]] == [second["batch_id"], first["batch_id"]]
    assert {k: body["data"][1][k] for k in ("status", "total_files", "succeeded", "failed", "queued")} == {
        "status": "completed", "total_files": 2, "succeeded": 2, "failed": 0, "queued": 0,
    }
    assert api.get("/api/v1/batches", params={"status": "running"}).json()["count"] == 0
    assert api.get("/api/v1/batches", params={"limit": 1, "skip": 1}).json()["data"][0]["batch_id"] == first["batch_id"]
    created = body["data"][0]["created_at"]
    older = api.get("/api/v1/batches", params={"created_before": created}).json()
    assert [b["batch_id"] for b in older["data"]] == [first["batch_id"]]


def test_list_parameters_that_do_not_exist_or_do_not_fit_are_refused_with_a_sentence(api):
    response = api.get("/api/v1/batches", params={"state": "completed"})
    assert response.status_code == 422 and "'state'" in response.json()["detail"]
    assert "status" in response.json()["detail"]
    response = api.get("/api/v1/batches", params={"status": "done"})
    assert response.status_code == 422
    assert response.json()["detail"] == "status must be one of queued, running, completed; you sent 'done'."
    response = api.get("/api/v1/invoices", params={"batch": "x"})
    assert response.status_code == 422 and "'batch'" in response.json()["detail"]
    response = api.get("/api/v1/invoices", params={"date_from": "2024-05-01", "date_to": "2024-04-01"})
    assert response.status_code == 422 and "swap them" in response.json()["detail"]


def test_invoice_filters_select_what_they_say(api, two_batches):
    first, second = two_batches
    assert _numbers(api.get("/api/v1/invoices")) == ["REV-001", "REV-002", "REV-003"]
    assert _numbers(api.get("/api/v1/invoices", params={"batch_id": first["batch_id"]})) == ["REV-001", "REV-002"]
    assert _numbers(api.get("/api/v1/invoices", params={"provider": "brasserie"})) == ["REV-003"]
    assert _numbers(api.get("/api/v1/invoices", params={"date_from": "2024-04-01"})) == ["REV-002", "REV-003"]
    assert _numbers(api.get("/api/v1/invoices", params={"date_to": "2024-04-15"})) == ["REV-001", "REV-002"]
    assert _numbers(api.get("/api/v1/invoices", params={"q": "rev-002"})) == ["REV-002"]
    assert _numbers(api.get("/api/v1/invoices", params={"q": "%"})) == []  # a literal, not a wildcard
    assert _numbers(api.get("/api/v1/invoices", params={"valid": "true"})) == ["REV-001", "REV-002", "REV-003"]
    assert _numbers(api.get("/api/v1/invoices", params={"valid": "false"})) == []
    assert _numbers(api.get("/api/v1/invoices", params={"reviewed": "false"})) == ["REV-001", "REV-002", "REV-003"]
    assert api.get("/api/v1/invoices", params={"batch_id": first["batch_id"], "limit": 1}).json()["count"] == 2


def test_a_batch_can_carry_its_results_fields_inline(api, two_batches):
    _, second = two_batches
    plain = api.get(f"/api/v1/batches/{second['batch_id']}").json()
    assert all(r["fields"] is None for r in plain["results"])
    body = api.get(f"/api/v1/batches/{second['batch_id']}", params={"include": "fields"}).json()
    by_name = {r["filename"]: r["fields"] for r in body["results"]}
    assert by_name["may.pdf"]["invoice_number"] == "REV-003"
    assert by_name["may.pdf"]["lines"]
    assert by_name["letter.pdf"]["id"] == body["results"][1]["document_id"]
    assert api.get(f"/api/v1/batches/{second['batch_id']}", params={"include": "everything"}).status_code == 422


def test_a_correction_is_kept_with_who_and_when_and_the_vat_is_checked_again(api, two_batches):
    first, _ = two_batches
    invoice_id = first["results"][0]["invoice_id"]
    before = api.get(f"/api/v1/invoices/{invoice_id}").json()
    assert before["validation"]["overall_valid"] is True and before["corrected"] is False

    wrong_total = str(round(before["total_with_vat"] + 10, 2))
    response = api.patch(
        f"/api/v1/invoices/{invoice_id}",
        json={"provider": "Atelier Dupont", "total_with_vat": wrong_total, "corrected_by": "alice@example.com"},
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["provider"] == "Atelier Dupont" and after["total_with_vat"] == float(wrong_total)
    assert after["corrected"] is True
    assert after["validation"]["overall_valid"] is False  # checked again: 10 more than net + VAT
    assert after["provenance"]["provider"]["source"] == "correction"
    assert after["invoice_number"] == before["invoice_number"]  # not sent: unchanged

    corrections = api.get(f"/api/v1/invoices/{invoice_id}/corrections").json()["data"]
    assert [(c["field"], c["old_value"], c["new_value"], c["corrected_by"]) for c in corrections] == [
        ("provider", "Atelier Dupont SARL", "Atelier Dupont", "alice@example.com"),
        ("total_with_vat", f"{before['total_with_vat']:g}", wrong_total, "alice@example.com"),
    ]
    # The same values again change nothing and record nothing.
    api.patch(f"/api/v1/invoices/{invoice_id}", json={"provider": "Atelier Dupont", "total_with_vat": wrong_total})
    assert len(api.get(f"/api/v1/invoices/{invoice_id}/corrections").json()["data"]) == 2

    # Put back, with the lines, and mark reviewed: valid again, listed as reviewed.
    lines = [
        {k: line[k] for k in ("designation", "quantity", "unit", "unit_price", "total_ht", "vat_rate")}
        for line in before["lines"]
    ]
    lines[0]["designation"] = lines[0]["designation"].upper()
    response = api.patch(
        f"/api/v1/invoices/{invoice_id}",
        json={"total_with_vat": before["total_with_vat"], "lines": lines, "reviewed": True},
    )
    after = response.json()
    assert after["validation"]["overall_valid"] is True
    assert after["lines"][0]["designation"] == lines[0]["designation"]
    assert after["reviewed_at"] is not None and after["reviewed_by"] == "default"
    assert _numbers(api.get("/api/v1/invoices", params={"reviewed": "true"})) == [before["invoice_number"]]
    fields = [c["field"] for c in api.get(f"/api/v1/invoices/{invoice_id}/corrections").json()["data"]]
    assert fields == ["provider", "total_with_vat", "total_with_vat", "lines", "reviewed"]


def test_a_correction_that_does_not_fit_is_refused_and_changes_nothing(api, two_batches):
    first, _ = two_batches
    invoice_id = first["results"][0]["invoice_id"]
    url = f"/api/v1/invoices/{invoice_id}"
    response = api.patch(url, json={"currency": "euros"})
    assert response.status_code == 422 and "ISO 4217" in response.json()["detail"]
    response = api.patch(url, json={"subtype": "receipt"})
    assert response.status_code == 422 and "invoice, credit_note" in response.json()["detail"]
    assert api.patch(url, json={"colour": "red"}).status_code == 422
    assert api.patch("/api/v1/invoices/999999", json={"provider": "x"}).status_code == 404
    assert api.get(f"{url}/corrections").json()["data"] == []
    assert api.get(url).json()["corrected"] is False
