"""EN 16931 e-invoices written from a stored invoice: CII XML, UBL XML, or a Factur-X PDF (the original PDF
with the CII XML embedded as factur-x.xml, PDF/A-3 metadata added by the factur-x package).

model.py says how the invoice row maps to EN 16931 and which choices are made where the row says less.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

from invoice_processor.db import Invoice

from .cii import cii_xml
from .model import EInvoice, NotExportable, einvoice_from, unit_code
from .ubl import ubl_xml

__all__ = ["EInvoice", "NotExportable", "cii_xml", "einvoice_from", "facturx_pdf", "filename", "ubl_xml", "unit_code"]

SYNTAXES = ("cii", "ubl", "facturx")


def facturx_pdf(einvoice: EInvoice, original_pdf: bytes) -> bytes:
    """The original PDF with the invoice's CII XML embedded as factur-x.xml (EN 16931 profile), and the
    PDF/A-3 and Factur-X XMP metadata. The pages are kept as they are."""
    from facturx import generate_from_file

    # generate_from_binary writes the result over its input file without truncating it, which corrupts the
    # PDF wherever the result is shorter or the reader left the file position mid-file; a fresh output file
    # avoids that. The XML is written to pass the Factur-X EN 16931 XSD (the tests check it); not checking it
    # again here saves parsing the schema on every request.
    with tempfile.TemporaryDirectory(prefix="facturx-") as folder:
        output = Path(folder) / "factur-x.pdf"
        generate_from_file(
            io.BytesIO(original_pdf),
            cii_xml(einvoice),
            flavor="factur-x",
            level="en16931",
            check_xsd=False,
            output_pdf_file=str(output),
        )
        return output.read_bytes()

def filename(invoice: Invoice, syntax: str) -> str:
    """The download name: invoice-<number>-<syntax>.xml, or .pdf for Factur-X; the number reduced to
    letters, digits, '-', '_' and '.'."""
    number = re.sub(r"[^A-Za-z0-9._-]+", "_", invoice.invoice_number or "").strip("._") or str(invoice.id)
    kind = "credit-note" if invoice.subtype == "credit_note" else "invoice"
    return f"{kind}-{number}-{syntax}.{'pdf' if syntax == 'facturx' else 'xml'}"
