"""Exports of the invoices table as CSV, JSON Lines or XLSX: one row per invoice, or with `lines` one row
per invoice line. The API (GET /api/v1/invoices/export) and the command (`invoice-processor export`) both
call this module, so that a file is the same whichever made it.

Rows come from a server-side cursor, a batch at a time, and are written as they come: CSV and JSON Lines
are produced chunk by chunk, XLSX is written row by row by openpyxl's write-only workbook into a file.
Nothing holds the whole table.

What a cell holds:
- amounts, quantities and rates: the exact decimal from the database, as text in CSV and as a JSON number
  in JSON Lines (parse it with `json.loads(line, parse_float=decimal.Decimal)` to keep every digit);
  numbers in XLSX. Amounts keep at least two decimals (`2375.90`), other numbers no trailing zeros.
- dates: ISO 8601 (`2024-03-15`); times: ISO 8601 in UTC (`2024-03-15T10:04:05.123456+00:00`). In XLSX,
  date cells, times in UTC.
- `vat_breakdown`: a list of {rate, base, amount} in JSON Lines, the same list as JSON text in CSV and XLSX.
- empty for a value not found (null in JSON Lines).

CSV cells are safe to open in a spreadsheet: a text value that starts with = + - @ (or a tab or carriage
return), which Excel, LibreOffice and Google Sheets would run as a formula, is written with a leading
single quote (`'=HYPERLINK(...)`). Numbers, dates and ids are written as they are (a negative amount stays
`-12.50`). In XLSX every text value is stored as a string cell, never as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from invoice_processor.db import Invoice, InvoiceLine
from invoice_reader.fields import FIELD_NAMES, names_of_kind

BATCH_ROWS = 1000
"""Rows fetched from the server-side cursor at a time: what an export holds in memory at most."""
CHUNK_BYTES = 64 * 1024
"""CSV and JSON Lines are handed on in chunks of about this size; an XLSX file is read back in these."""

INVOICE_COLUMNS: tuple[str, ...] = (
    "id",
    *FIELD_NAMES,
    "original_filename",
    "batch_id",
    "overall_valid",
    "reviewed_at",
    "corrected",
    "created_at",
)
"""The columns of an invoice row, in order: its id, every field of invoice_reader.fields.FIELDS in their
order, then where it came from and whether it was checked."""
LINE_COLUMNS: tuple[str, ...] = (
    "line_position",
    "line_designation",
    "line_quantity",
    "line_unit",
    "line_unit_price",
    "line_total_ht",
    "line_vat_rate",
)
"""With `lines`, appended to the invoice's columns: one row per line, the invoice's columns repeated. An
invoice without lines still has its row, with these empty."""

_AMOUNT_COLUMNS = frozenset(names_of_kind("amount")) | {"line_unit_price", "line_total_ht"}


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    extension: str


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", "csv"),
    "jsonl": ExportFormat("jsonl", "application/x-ndjson", "jsonl"),
    "xlsx": ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def check_format(name: str) -> ExportFormat:
    """The format called `name`. Raises ValueError, with a sentence that lists the formats, if there is none."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; you sent {name!r}.") from None


def columns(lines: bool) -> tuple[str, ...]:
    return INVOICE_COLUMNS + LINE_COLUMNS if lines else INVOICE_COLUMNS


def filename(export_format: ExportFormat, lines: bool, today: date) -> str:
    """`invoices-2024-06-01.csv`, or `invoice-lines-2024-06-01.csv` with lines."""
    return f"{'invoice-lines' if lines else 'invoices'}-{today.isoformat()}.{export_format.extension}"


def _selected_columns(lines: bool) -> list:
    selected = [
        Invoice.id,
        *(getattr(Invoice, name) for name in FIELD_NAMES),
        Invoice.original_filename,
        Invoice.batch_id,
        Invoice.validation["overall_valid"].as_boolean().label("overall_valid"),
        Invoice.reviewed_at,
        Invoice.corrected,
        Invoice.created_at,
    ]
    if lines:
        selected += [
            InvoiceLine.position.label("line_position"),
            InvoiceLine.designation.label("line_designation"),
            InvoiceLine.quantity.label("line_quantity"),
            InvoiceLine.unit.label("line_unit"),
            InvoiceLine.unit_price.label("line_unit_price"),
            InvoiceLine.total_ht.label("line_total_ht"),
            InvoiceLine.vat_rate.label("line_vat_rate"),
        ]
    return selected


def export_rows(session: Session, where: Sequence[ColumnElement[bool]], *, lines: bool) -> Iterator[tuple]:
    """The rows of the invoices matching `where` (oldest first; with `lines`, each invoice's lines in their
    order), one tuple per row in the order of columns(lines). Runs the query at once, so that a database
    error is raised by this call rather than while the rows are written, then streams them from a
    server-side cursor, BATCH_ROWS at a time. The session must stay open until the iterator is done."""
    statement = select(*_selected_columns(lines)).where(*where)
    if lines:
        statement = statement.outerjoin(InvoiceLine, InvoiceLine.invoice_id == Invoice.id).order_by(
            Invoice.id, InvoiceLine.position, InvoiceLine.id
        )
    else:
        statement = statement.order_by(Invoice.id)
    result = session.execute(statement.execution_options(yield_per=BATCH_ROWS))
    return _tuples(result)


def _tuples(result) -> Iterator[tuple]:
    try:
        for row in result:
            yield tuple(row)
    finally:
        result.close()


# Values as each format writes them.


def decimal_text(value: Decimal, *, amount: bool = False) -> str:
    """The exact digits of a decimal, never in exponent form: amounts with at least two decimals
    (`2375.90`), other numbers without trailing zeros (`12`, `5.5`)."""
    value = value.normalize()
    if amount and value.as_tuple().exponent > -2:
        value = value.quantize(Decimal("0.01"))
    text = format(value, "f")
    return "0" if text == "-0" else text


def _breakdown(value: Any) -> list[dict] | None:
    """The VAT breakdown as stored (numbers as strings), with its numbers as decimals."""
    if not value:
        return None if value is None else []
    entries = []
    for entry in value:
        entries.append({key: _as_decimal(entry.get(key)) for key in ("rate", "base", "amount")})
    return entries


def _as_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _json(value: Any, amount: bool = False) -> str:
    """JSON text in which decimals are numbers with their exact digits (json.dumps would need floats)."""
    if isinstance(value, Decimal):
        return decimal_text(value, amount=amount)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_json(v, k in ('base', 'amount'))}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json(v) for v in value) + "]"
    if isinstance(value, datetime):
        return json.dumps(_utc(value).isoformat())
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if isinstance(value, uuid.UUID):
        return json.dumps(str(value))
    return json.dumps(value, ensure_ascii=False)


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc) if value.tzinfo else value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A text cell that a spreadsheet shows as text: one starting like a formula gets a leading quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_safe(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value, amount=name in _AMOUNT_COLUMNS)
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if name == "vat_breakdown":
        return spreadsheet_safe(_json(_breakdown(value)))
    return str(value)


def _chunked(pieces: Iterable[str]) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_BYTES:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def csv_chunks(rows: Iterable[tuple], names: Sequence[str]) -> Iterator[bytes]:
    """The CSV file (UTF-8, a header line, CRLF line ends as RFC 4180 says) in chunks of about CHUNK_BYTES."""

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(names)
        for row in rows:
            writer.writerow([_csv_cell(name, value) for name, value in zip(names, row)])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    return _chunked(lines())


def jsonl_chunks(rows: Iterable[tuple], names: Sequence[str]) -> Iterator[bytes]:
    """One JSON object per line (UTF-8), keys in the order of `names`, in chunks of about CHUNK_BYTES."""

    def lines() -> Iterator[str]:
        for row in rows:
            fields = []
            for name, value in zip(names, row):
                if name == "vat_breakdown":
                    value = _breakdown(value)
                fields.append(f"{json.dumps(name)}:{_json(value, name in _AMOUNT_COLUMNS)}")
            yield "{" + ",".join(fields) + "}\n"

    return _chunked(lines())


def write_xlsx(rows: Iterable[tuple], names: Sequence[str], file: IO[bytes] | str) -> None:
    """The XLSX workbook (one sheet, 'invoices' or 'invoice lines', a header row) written into `file`
    (a path or a binary file open for writing) with openpyxl's write-only workbook, row by row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("invoice lines" if "line_position" in names else "invoices")
    sheet.append(list(names))

    def cell(name: str, value: Any):
        if isinstance(value, str):
            # A string cell, even where it starts with '=' (openpyxl would make that a formula);
            # control characters that XML cannot hold are dropped.
            text_cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
            text_cell.data_type = "s"
            return text_cell
        if isinstance(value, datetime):
            return _utc(value).replace(tzinfo=None)
        if name == "vat_breakdown" and value is not None:
            return cell(name, _json(_breakdown(value)))
        if isinstance(value, uuid.UUID):
            return str(value)
        return value

    for row in rows:
        sheet.append([cell(name, value) for name, value in zip(names, row)])
    workbook.save(file)


def xlsx_file(rows: Iterable[tuple], names: Sequence[str]) -> IO[bytes]:
    """The XLSX workbook in a temporary file, rewound; the file disappears when closed."""
    file = tempfile.TemporaryFile(prefix="invoice-export-", suffix=".xlsx")
    try:
        write_xlsx(rows, names, file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


def file_chunks(file: IO[bytes], *, on_close: Callable[[], None] | None = None) -> Iterator[bytes]:
    """The contents of `file` in chunks of CHUNK_BYTES; closes it (and calls on_close) at the end."""
    try:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk
    finally:
        file.close()
        if on_close is not None:
            on_close()


def text_chunks(export_format: ExportFormat, rows: Iterable[tuple], names: Sequence[str]) -> Iterator[bytes]:
    """The CSV or JSON Lines file of these rows, in chunks."""
    writers = {"csv": csv_chunks, "jsonl": jsonl_chunks}
    return writers[export_format.name](rows, names)
