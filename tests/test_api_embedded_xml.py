"""E-invoice PDFs through the real API, runner and pipeline: use_embedded_xml on the request and
USE_EMBEDDED_XML on the runner choose between the XML a PDF carries and its printed page, and each
file's result lists where the printed page disagrees with its XML."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from invoice_processor.settings import Settings
from invoice_processor.submit import _start_batches
from tests.einvoice_pdfs import factur_x_xml, make_einvoice_pdf

FACTUR_X_NAME = "factur-x.xml"


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    """A Factur-X PDF whose page and XML agree, and one whose XML states another total than its page."""
    d = tmp_path_factory.mktemp("einvoices")
    agreeing = make_einvoice_pdf(d / "agreeing.pdf", factur_x_xml, FACTUR_X_NAME, invoice_number="FX-2024-0101")
    differing = make_einvoice_pdf(
        d / "differing.pdf",
        lambda spec: factur_x_xml(spec, grand_total=spec.total_with_vat + Decimal("100")),
        FACTUR_X_NAME,
        invoice_number="FX-2024-0102",
    )
    return {
        "agreeing": ((d / "agreeing.pdf").read_bytes(), agreeing),
        "differing": ((d / "differing.pdf").read_bytes(), differing),
    }


def _api(runner_factory, sessions, store, **runner_options):
    from fastapi.testclient import TestClient

    from ingest_api.app import create_app

    runner_factory(store, **runner_options)
    return TestClient(create_app(sessions, store))


@pytest.fixture
def api(sessions, folder_store, runner_factory):
    """The API with one runner of default settings (USE_EMBEDDED_XML true), on the folder store."""
    with _api(runner_factory, sessions, folder_store) as client:
        yield client


@pytest.fixture
def api_reading_print(sessions, folder_store, runner_factory):
    """The API with one runner started with USE_EMBEDDED_XML=false."""
    with _api(runner_factory, sessions, folder_store, use_embedded_xml=False) as client:
        yield client


def upload(client, name: str, data: bytes, **params) -> dict:
    response = client.post(
        "/api/v1/invoices/batch-upload",
        params=params,
        files=[("files", (name, io.BytesIO(data), "application/pdf"))],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["successful"], body["failed"]) == (1, 0), body
    return body["results"][0]


def test_factur_x_pdf_is_read_from_its_xml_by_default_and_from_its_print_when_asked(api, pdfs):
    data, spec = pdfs["agreeing"]

    printed = upload(api, "agreeing.pdf", data, use_embedded_xml="false")
    invoice = api.get(f"/api/v1/invoices/{printed['invoice_id']}").json()
    assert invoice["extraction_source"] == "text"
    assert invoice["provenance"]["total_with_vat"]["source"] == "text_layer"
    assert invoice["invoice_number"] == spec.invoice_number
    assert invoice["total_with_vat"] == float(spec.total_with_vat)
    assert "xml_vs_print" not in invoice["validation"]
    assert printed["xml_print_differences"] is None  # the XML was not read: nothing to compare
    assert api.get(f"/api/v1/jobs/{printed['job_id']}").json()["use_embedded_xml"] is False

    # The same file again (allow_duplicates: else it would point to the reading above), by default.
    default = upload(api, "agreeing.pdf", data, allow_duplicates="true")
    assert default["invoice_id"] != printed["invoice_id"]
    invoice = api.get(f"/api/v1/invoices/{default['invoice_id']}").json()
    assert invoice["extraction_source"] == "xml"
    assert invoice["provenance"]["total_with_vat"]["source"] == "einvoice_xml"
    assert (invoice["invoice_number"], invoice["total_with_vat"]) == (spec.invoice_number, float(spec.total_with_vat))
    assert invoice["validation"]["xml_vs_print"] == {}
    assert default["xml_print_differences"] == []  # read from the XML, and the page agrees
    assert api.get(f"/api/v1/jobs/{default['job_id']}").json()["use_embedded_xml"] is None


def test_runner_setting_off_reads_the_print_unless_the_request_asks_for_the_xml(api_reading_print, pdfs):
    data, _ = pdfs["agreeing"]
    default = upload(api_reading_print, "agreeing.pdf", data)
    assert api_reading_print.get(f"/api/v1/invoices/{default['invoice_id']}").json()["extraction_source"] == "text"

    asked = upload(api_reading_print, "agreeing.pdf", data, use_embedded_xml="true", allow_duplicates="true")
    assert api_reading_print.get(f"/api/v1/invoices/{asked['invoice_id']}").json()["extraction_source"] == "xml"
    assert asked["xml_print_differences"] == []


def test_printed_total_that_differs_from_the_xml_is_listed_in_the_batch_result(api, pdfs):
    data, spec = pdfs["differing"]
    xml_total = spec.total_with_vat + Decimal("100")
    result = upload(api, "differing.pdf", data)
    assert result["xml_print_differences"] == [
        {"field": "total_with_vat", "xml": f"{xml_total:.2f}", "print": f"{spec.total_with_vat:.2f}"}
    ]
    invoice = api.get(f"/api/v1/invoices/{result['invoice_id']}").json()
    assert invoice["total_with_vat"] == float(xml_total)  # the XML is what is stored
    assert invoice["validation"]["xml_vs_print"] == {
        "total_with_vat": {"xml": f"{xml_total:.2f}", "print": f"{spec.total_with_vat:.2f}"}
    }
    # GET /batches/{id} answers the same per file.
    batch = api.get(f"/api/v1/batches/{invoice['batch_id']}").json()
    assert batch["results"][0]["xml_print_differences"] == result["xml_print_differences"]


def test_use_embedded_xml_must_be_a_boolean(api, pdfs):
    data, _ = pdfs["agreeing"]
    response = api.post(
        "/api/v1/invoices/batch-upload",
        params={"use_embedded_xml": "sometimes"},
        files=[("files", ("agreeing.pdf", io.BytesIO(data), "application/pdf"))],
    )
    assert response.status_code == 422


def test_submit_no_embedded_xml_sends_use_embedded_xml_false(api, pdfs, tmp_path):
    data, _ = pdfs["agreeing"]
    (tmp_path / "agreeing.pdf").write_bytes(data)
    (batch_id,) = _start_batches(api, [tmp_path / "agreeing.pdf"], [], 2, use_embedded_xml=False)
    (job,) = api.get(f"/api/v1/batches/{batch_id}").json()["jobs"]
    assert api.get(f"/api/v1/jobs/{job['job_id']}").json()["use_embedded_xml"] is False


def test_use_embedded_xml_setting_defaults_to_true_and_reaches_the_runner(monkeypatch, sessions, folder_store):
    from invoice_processor.cli import _make_runner

    assert Settings().use_embedded_xml is True
    monkeypatch.setenv("USE_EMBEDDED_XML", "false")
    settings = Settings()
    assert settings.use_embedded_xml is False
    assert _make_runner(settings, "postgresql://unused", sessions, folder_store).use_embedded_xml is False
