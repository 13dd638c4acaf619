"""Exports of the invoices table: GET /api/v1/invoices/export as CSV, JSON Lines and XLSX with the list's
filters, one row per invoice or per line, and `invoice-processor export` writing the same file (real runner,
real PostgreSQL, real PDFs). A 20,000-invoice table is exported from a server-side cursor with bounded
memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import tracemalloc
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from ingest_api.app import create_app
from invoice_processor import export
from invoice_processor.db import DEFAULT_TENANT_ID
from invoice_reader.fields import FIELD_NAMES
from tests import pdf_factory
from tests.pdf_factory import InvoiceLine

CLI = str(Path(sys.executable).with_name("invoice-processor"))
EXPORT = "/api/v1/invoices/export"
TODAY = dt.datetime.now(dt.timezone.utc).date().isoformat()


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    """Three invoices with 3, 2 and 1 lines; the first two from one seller."""
    d = tmp_path_factory.mktemp("exports")
    made = {}
    for name, seller, number, date, lines in [
        ("march", "Atelier Dupont SARL", "EXP-001", dt.date(2024, 3, 15), None),
        (
            "april",
            "Atelier Dupont SARL",
            "EXP-002",
            dt.date(2024, 4, 15),
            [
                InvoiceLine("Audit", Decimal("3"), Decimal("410.00")),
                InvoiceLine("Report", Decimal("1"), Decimal("99.99")),
            ],
        ),
        (
            "may",
            "Brasserie Lefèvre SAS",
            "EXP-003",
            dt.date(2024, 5, 15),
            [InvoiceLine("Catering", Decimal("1"), Decimal("640.50"))],
        ),
    ]:
        extra = {"lines": lines} if lines else {}
        made[name] = pdf_factory.make_text_invoice(
            d / f"{name}.pdf", seller=seller, invoice_number=number, date=date, **extra
        )
        made[name].pdf = (d / f"{name}.pdf").read_bytes()
    return made


@pytest.fixture
def api(sessions, folder_store, runner_factory):
    runner_factory(folder_store)
    with TestClient(create_app(sessions, folder_store)) as client:
        yield client


def _send(api, pdfs, *names) -> str:
    response = api.post(
        "/api/v1/invoices/batch-upload",
        files=[("files", (f"{name}.pdf", io.BytesIO(pdfs[name].pdf), "application/pdf")) for name in names],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["successful"] == len(names), body
    return body["batch_id"]


@pytest.fixture
def batches(api, pdfs):
    """Two batches: march and april, then may. Answers their ids."""
    return _send(api, pdfs, "march", "april"), _send(api, pdfs, "may")


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert tuple(rows[0]) in (export.INVOICE_COLUMNS, export.INVOICE_COLUMNS + export.LINE_COLUMNS)
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def _jsonl(content: bytes) -> list[dict]:
    return [json.loads(line, parse_float=Decimal) for line in content.decode("utf-8").splitlines()]


def test_csv_export_has_one_row_per_invoice_with_its_fields_in_order_and_exact_amounts(api, pdfs, batches):
    response = api.get(EXPORT, params={"format": "csv"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="invoices-{TODAY}.csv"'
    rows = _csv(response)
    assert export.INVOICE_COLUMNS[1 : 1 + len(FIELD_NAMES)] == FIELD_NAMES
    assert [int(row["id"]) for row in rows] == sorted(int(row["id"]) for row in rows)  # oldest first
    rows.sort(key=lambda row: row["invoice_number"])
    assert [row["invoice_number"] for row in rows] == ["EXP-001", "EXP-002", "EXP-003"]
    for row, name in zip(rows, ("march", "april", "may")):
        spec = pdfs[name]
        assert row["provider"] == spec.seller
        assert row["date"] == spec.date.isoformat()
        assert row["total_with_vat"] == f"{spec.total_with_vat:.2f}"  # the printed digits, no float
        assert row["total_without_vat"] == f"{spec.total_without_vat:.2f}"
        assert row["original_filename"] == f"{name}.pdf"
        assert row["overall_valid"] in ("true", "false")
        assert row["corrected"] == "false" and row["reviewed_at"] == ""
        assert dt.datetime.fromisoformat(row["created_at"]).utcoffset() == dt.timedelta(0)
        breakdown = json.loads(row["vat_breakdown"]) if row["vat_breakdown"] else []
        assert all(set(entry) == {"rate", "base", "amount"} for entry in breakdown)
    assert rows[0]["batch_id"] == rows[1]["batch_id"] == batches[0]
    assert rows[2]["batch_id"] == batches[1]


def test_jsonl_export_holds_the_same_values_as_the_invoice_with_decimals_exact(api, batches):
    response = api.get(EXPORT, params={"format": "jsonl"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-disposition"] == f'attachment; filename="invoices-{TODAY}.jsonl"'
    rows = _jsonl(response.content)
    assert len(rows) == 3
    for row in rows:
        assert tuple(row) == export.INVOICE_COLUMNS
        invoice = api.get(f"/api/v1/invoices/{row['id']}").json()
        for name in ("provider", "invoice_number", "date", "due_date", "currency", "subtype", "batch_id"):
            assert row[name] == invoice[name], name
        for name in ("total_without_vat", "total_vat", "total_with_vat"):
            assert isinstance(row[name], Decimal) and row[name] == Decimal(str(invoice[name])), name
        assert row["overall_valid"] == invoice["validation"]["overall_valid"]
        assert isinstance(row["vat_breakdown"], list)
        for entry in row["vat_breakdown"]:
            assert all(value is None or isinstance(value, (Decimal, int)) for value in entry.values())


def test_xlsx_export_is_a_workbook_with_typed_cells(api, pdfs, batches):
    response = api.get(EXPORT, params={"format": "xlsx", "lines": "true"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == export.FORMATS["xlsx"].media_type
    assert response.headers["content-disposition"] == f'attachment; filename="invoice-lines-{TODAY}.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(table[0]) == export.INVOICE_COLUMNS + export.LINE_COLUMNS
    rows = [dict(zip(table[0], row)) for row in table[1:]]
    march = [row for row in rows if row["invoice_number"] == "EXP-001"]
    assert len(march) == len(pdfs["march"].lines)
    assert march[0]["date"] == dt.datetime(2024, 3, 15)  # a date cell
    assert Decimal(str(march[0]["total_with_vat"])) == pdfs["march"].total_with_vat
    assert [row["line_position"] for row in march] == sorted(row["line_position"] for row in march)


def test_export_takes_the_filters_of_the_list(api, batches):
    first, second = batches
    by_batch = _csv(api.get(EXPORT, params={"batch_id": first}))
    assert sorted(row["invoice_number"] for row in by_batch) == ["EXP-001", "EXP-002"]
    assert {row["batch_id"] for row in by_batch} == {first}
    listed = api.get("/api/v1/invoices", params={"batch_id": first}).json()
    assert sorted(int(row["id"]) for row in by_batch) == sorted(invoice["id"] for invoice in listed["data"])
    by_provider = _jsonl(api.get(EXPORT, params={"format": "jsonl", "provider": "lefèvre"}).content)
    assert [row["invoice_number"] for row in by_provider] == ["EXP-003"]
    assert _csv(api.get(EXPORT, params={"date_from": "2024-04-01", "date_to": "2024-04-30"}))[0]["invoice_number"] == (
        "EXP-002"
    )
    assert _csv(api.get(EXPORT, params={"reviewed": "true"})) == []


def test_lines_export_has_one_row_per_invoice_line_with_the_invoice_repeated(api, batches):
    rows = _csv(api.get(EXPORT, params={"format": "csv", "lines": "true"}))
    invoices = api.get("/api/v1/invoices").json()["data"]
    expected = sum(max(len(invoice["lines"]), 1) for invoice in invoices)
    assert len(rows) == expected
    for invoice in invoices:
        mine = [row for row in rows if int(row["id"]) == invoice["id"]]
        assert {row["invoice_number"] for row in mine} == {invoice["invoice_number"]}
        assert {row["total_with_vat"] for row in mine} == {f"{Decimal(str(invoice['total_with_vat'])):.2f}"}
        assert [row["line_designation"] for row in mine] == [line["designation"] for line in invoice["lines"]]
        assert [Decimal(row["line_total_ht"]) for row in mine] == [
            Decimal(str(line["total_ht"])) for line in invoice["lines"]
        ]
    jsonl = _jsonl(api.get(EXPORT, params={"format": "jsonl", "lines": "true", "batch_id": batches[1]}).content)
    assert len(jsonl) == max(len(next(i for i in invoices if i["invoice_number"] == "EXP-003")["lines"]), 1)


def test_unknown_parameter_format_or_paging_is_refused_with_a_sentence(api):
    response = api.get(EXPORT, params={"format": "csv", "colour": "red"})
    assert response.status_code == 422
    assert "'colour'" in response.json()["detail"] and "format" in response.json()["detail"]
    response = api.get(EXPORT, params={"format": "pdf"})
    assert response.status_code == 422
    assert response.json()["detail"] == "format must be one of csv, jsonl, xlsx; you sent 'pdf'."
    response = api.get(EXPORT, params={"limit": "10"})
    assert response.status_code == 422
    assert response.json()["detail"] == "The export has no paging: it holds every matching invoice. Remove 'limit'."
    assert api.get(EXPORT, params={"lines": "maybe"}).status_code == 422
    # Not taken for an invoice id by GET /invoices/{invoice_id}.
    assert api.get(EXPORT).status_code == 200


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(api, sessions, batches):
    hostile = {
        "provider": '=HYPERLINK("http://evil.example","click")',
        "customer": "@SUM(A1:A9)",
        "invoice_number": "+33-1-555",
        "payment_terms": "-2+3",
    }
    with sessions.begin() as session:
        session.execute(
            text(
                "UPDATE invoices SET provider = :provider, customer = :customer, invoice_number = :invoice_number, "
                "payment_terms = :payment_terms, total_with_vat = -12.5 WHERE batch_id = :batch"
            ),
            {**hostile, "batch": batches[1]},
        )
    [row] = _csv(api.get(EXPORT, params={"batch_id": batches[1]}))
    for name, value in hostile.items():
        assert row[name] == "'" + value, name
    assert row["total_with_vat"] == "-12.50"  # a number, not text: left as it is
    [line] = _jsonl(api.get(EXPORT, params={"format": "jsonl", "batch_id": batches[1]}).content)
    assert {name: line[name] for name in hostile} == hostile  # JSON is data: unchanged
    xlsx = api.get(EXPORT, params={"format": "xlsx", "batch_id": batches[1]}).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    header = [cell.value for cell in sheet[1]]
    provider = sheet.cell(row=2, column=header.index("provider") + 1)
    assert provider.data_type == "s" and provider.value == hostile["provider"]  # a string, not a formula


def test_cli_export_writes_the_file_the_api_sends(api, database_url, batches, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url}
    out = tmp_path / "invoices.csv"
    done = subprocess.run(
        [CLI, "export", "--format", "csv", "-o", str(out)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "exported 3 invoices as csv" in done.stderr
    assert out.read_bytes() == api.get(EXPORT, params={"format": "csv"}).content

    done = subprocess.run(
        [CLI, "export", "--format", "jsonl", "--lines", "--batch-id", batches[0], "--provider", "dupont"],
        env=env, capture_output=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    params = {"format": "jsonl", "lines": "true", "batch_id": batches[0], "provider": "dupont"}
    assert done.stdout == api.get(EXPORT, params=params).content
    assert {row["invoice_number"] for row in _jsonl(done.stdout)} == {"EXP-001", "EXP-002"}

    workbook = tmp_path / "invoices.xlsx"
    done = subprocess.run(
        [CLI, "export", "--format", "xlsx", "--date-from", "2024-05-01", "-o", str(workbook)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = list(openpyxl.load_workbook(workbook, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][export.INVOICE_COLUMNS.index("invoice_number")] == "EXP-003"
    assert list(tmp_path.glob("*.part")) == []

    done = subprocess.run(
        [CLI, "export", "--tenant", "nobody"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and "There is no tenant named 'nobody'" in done.stderr


BIG = 20_000


def test_export_streams_from_a_server_side_cursor_with_bounded_memory(sessions, folder_store):
    with sessions.begin() as session:
        session.execute(
            text(
                "INSERT INTO invoices (tenant_id, provider, invoice_number, date, currency, total_without_vat, "
                "total_vat, total_with_vat, payment_terms, vat_breakdown, validation, original_filename) "
                "SELECT :tenant, 'Provider ' || n, 'BIG-' || n, DATE '2024-01-01' + (n % 365), 'EUR', n + 0.1, "
                "(n + 0.1) * 0.2, (n + 0.1) * 1.2, repeat('Payable within thirty days. ', 8), "
                "jsonb_build_array(jsonb_build_object('rate', '20', 'base', (n + 0.1)::text, 'amount', "
                "((n + 0.1) * 0.2)::text)), '{\"overall_valid\": true}', 'big-' || n || '.pdf' "
                "FROM generate_series(1, :count) AS n"
            ),
            {"tenant": DEFAULT_TENANT_ID, "count": BIG},
        )
    names = export.columns(False)
    with sessions() as session:
        tracemalloc.start()
        try:
            chunks = export.csv_chunks(export.export_rows(session, [text("true")], lines=False), names)
            first = next(chunks)
            # The first chunk is out while the query is still open on the server: rows come from a
            # cursor there, a batch at a time, not from a result read whole.
            cursors = session.connection().exec_driver_sql("SELECT count(*) FROM pg_cursors").scalar()
            assert cursors == 1
            size, rows = len(first), first.count(b"\r\n")
            for chunk in chunks:
                size += len(chunk)
                rows += chunk.count(b"\r\n")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert rows == BIG + 1
    with sessions() as session:
        tracemalloc.start()
        try:
            whole = list(export.export_rows(session, [text("true")], lines=False))
            _, whole_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert len(whole) == BIG
    del whole
    # Streamed, the export holds a batch of BATCH_ROWS rows and a chunk, not the 20,000 rows.
    assert peak < whole_peak / 4, (peak, whole_peak)

    with TestClient(create_app(sessions, folder_store)) as client:
        response = client.get(EXPORT, params={"format": "jsonl", "q": "BIG-19999"})
        assert [row["total_with_vat"] for row in _jsonl(response.content)] == [Decimal("23998.92")]
        assert len(client.get(EXPORT, params={"format": "csv"}).content.splitlines()) == BIG + 1
