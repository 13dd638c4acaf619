"""Read the e-invoice a PDF may carry as an XML attachment: Factur-X / ZUGFeRD 2 / XRechnung (CII),
ZUGFeRD 1.0 or UBL; and compare it with what the printed page says.

Credit-note sign rule: EN 16931 credit notes (type codes 381, 261, 262, 396, 532, or a UBL
CreditNote) state their amounts as positive numbers and let the type code carry the sign. Here
a credit note gets subtype 'credit_note' and its amounts negated (totals, amount due, line
totals, VAT breakdown); quantities and unit prices stay as stated. Other documents keep the
XML's signs: a corrective invoice (384) with negative totals keeps them, as subtype 'invoice'.
The corpus's expected.jsonl states credit-note amounts as the XML does (positive): compare
after negating them.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from typing import NamedTuple
from xml.parsers import expat

from .einvoice_cii import CII_ROOT, read_cii
from .einvoice_ubl import UBL_CREDIT_NOTE_ROOT, UBL_ROOTS, read_ubl
from .einvoice_zugferd1 import ZUGFERD1_ROOT, read_zugferd1
from .result import FieldSource, InvoiceFields

EINVOICE_ATTACHMENT_NAMES = (
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "zugferd_invoice.xml",
    "order-x.xml",
)
"""Attachment names the standards prescribe, compared case-insensitively, best first."""

MAX_EINVOICE_XML_BYTES = 20 * 2**20
"""A larger XML attachment is not read: real e-invoices are a few hundred kB at most."""

CREDIT_NOTE_TYPE_CODES = frozenset({"381", "261", "262", "396", "532"})
"""UNTDID 1001 codes of credit notes."""

EINVOICE_SOURCE = "einvoice_xml"
"""FieldSource.source of every value read from the XML."""

PRINT_CHECK_FIELDS = (
    "invoice_number",
    "date",
    "total_without_vat",
    "total_vat",
    "total_with_vat",
    "currency",
    "provider_vat_id",
)
"""Fields compared between the XML and the printed page."""

_AMOUNT_FIELDS = ("total_without_vat", "total_vat", "total_with_vat", "amount_due", "lines_total")
_NOT_VALUES = {"validation", "confidence_score", "source", "provenance"}
_CENT = Decimal("0.01")


class EmbeddedInvoice(NamedTuple):
    """What the XML attachments of a PDF gave."""

    fields: InvoiceFields | None
    """The e-invoice's fields; None when no attachment is a readable CII, ZUGFeRD 1.0 or UBL invoice."""
    skipped: str | None
    """Why an e-invoice attachment was left unread (too large), for the validation report."""


def read_embedded_invoice(attachments: list[tuple[str, bytes]]) -> EmbeddedInvoice:
    """The first readable e-invoice among the (name, content) XML attachments.

    Standard names (factur-x.xml, ...) are tried first, then any other XML attachment. An
    attachment over MAX_EINVOICE_XML_BYTES is skipped unread and named in `skipped`.
    """
    skipped = None
    for name, data in _candidates(attachments):
        if len(data) > MAX_EINVOICE_XML_BYTES:
            skipped = (
                f"e-invoice attachment {name!r} not read: {len(data) / 2**20:.1f} MiB is over the "
                f"{MAX_EINVOICE_XML_BYTES // 2**20} MiB limit"
            )
            continue
        fields = parse_einvoice(data)
        if fields is not None:
            return EmbeddedInvoice(fields, skipped)
    return EmbeddedInvoice(None, skipped)


def _candidates(attachments: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    def rank(item: tuple[str, bytes]) -> int:
        name = item[0].lower()
        if name in EINVOICE_ATTACHMENT_NAMES:
            return EINVOICE_ATTACHMENT_NAMES.index(name)
        return len(EINVOICE_ATTACHMENT_NAMES) if name.endswith(".xml") else -1

    return sorted((item for item in attachments if rank(item) >= 0), key=rank)


def parse_einvoice(xml: bytes) -> InvoiceFields | None:
    """The fields of a CII (ZUGFeRD 2 / Factur-X / XRechnung), ZUGFeRD 1.0 or UBL invoice
    (source='xml', provenance 'einvoice_xml', the credit-note sign rule applied), or None when the
    XML is none of these or is refused."""
    return _parse(xml, (CII_ROOT, ZUGFERD1_ROOT, *UBL_ROOTS))


def parse_cii(xml: bytes) -> InvoiceFields | None:
    """As parse_einvoice, for CII D16B (CrossIndustryInvoice) only: None for anything else, UBL and
    ZUGFeRD 1.0 included."""
    return _parse(xml, (CII_ROOT,))


def parse_ubl(xml: bytes) -> InvoiceFields | None:
    """As parse_einvoice, for a UBL Invoice or CreditNote only."""
    return _parse(xml, UBL_ROOTS)


def parse_zugferd1(xml: bytes) -> InvoiceFields | None:
    """As parse_einvoice, for a ZUGFeRD 1.0 CrossIndustryDocument only."""
    return _parse(xml, (ZUGFERD1_ROOT,))


_READERS = {CII_ROOT: read_cii, ZUGFERD1_ROOT: read_zugferd1} | dict.fromkeys(UBL_ROOTS, read_ubl)


def _parse(xml: bytes, roots: tuple[str, ...]) -> InvoiceFields | None:
    root = _safe_root(xml)
    if root is None or root.tag not in roots:
        return None
    fields = _READERS[root.tag](root)
    return _finish(fields, credit_note_root=root.tag == UBL_CREDIT_NOTE_ROOT)


class _Refused(Exception):
    pass


def _safe_root(xml: bytes) -> ET.Element | None:
    """The parsed document, or None when it is not well-formed or declares a DOCTYPE or entity.

    Neither CII (ZUGFeRD 1.0 included) nor UBL ever needs a DOCTYPE; refusing one before ElementTree
    sees the document rules out entity expansion and external entities whatever the encoding.
    """
    scan = expat.ParserCreate()

    def refuse(*_args) -> None:
        raise _Refused

    scan.StartDoctypeDeclHandler = refuse
    scan.EntityDeclHandler = refuse
    scan.ExternalEntityRefHandler = refuse
    try:
        scan.Parse(xml, True)
        return ET.fromstring(xml)
    except (_Refused, expat.ExpatError, ET.ParseError, ValueError):
        return None


def _finish(fields: InvoiceFields, *, credit_note_root: bool) -> InvoiceFields:
    if credit_note_root or fields.type_code in CREDIT_NOTE_TYPE_CODES:
        fields.subtype = "credit_note"
        _negate_amounts(fields)
    # Account ids are often written in print groups ("DE12 1234 ..."); keep the electronic form.
    fields.iban = _compact(fields.iban)
    fields.bic = _compact(fields.bic)
    for line in fields.lines:
        line.provenance = _xml_source()
    fields.provenance = {
        f.name: _xml_source()
        for f in dataclasses.fields(fields)
        if f.name not in _NOT_VALUES and getattr(fields, f.name) not in (None, [], "")
    }
    return fields


def _xml_source() -> FieldSource:
    return FieldSource(source=EINVOICE_SOURCE, confidence=1.0)


def _compact(value: str | None) -> str | None:
    compact = re.sub(r"\s+", "", value or "").upper()
    return compact or None


def _negate_amounts(fields: InvoiceFields) -> None:
    for name in _AMOUNT_FIELDS:
        value = getattr(fields, name)
        if value is not None:
            setattr(fields, name, -value)
    for line in fields.lines:
        if line.total_ht is not None:
            line.total_ht = -line.total_ht
    for rate in fields.vat_breakdown:
        rate.base = -rate.base if rate.base is not None else None
        rate.amount = -rate.amount if rate.amount is not None else None


def compare_with_print(xml: InvoiceFields, printed: InvoiceFields) -> dict[str, dict[str, str]]:
    """{field: {'xml': value, 'print': value}} for each PRINT_CHECK_FIELDS field on which the
    printed page disagrees with the XML; {} when they agree. A field the page did not yield is
    no disagreement. Ids are compared without spaces or case; amounts to the cent, and for a
    credit note the page may print them positive (as the XML states them)."""
    disagreements = {}
    for name in PRINT_CHECK_FIELDS:
        xml_value, print_value = getattr(xml, name), getattr(printed, name)
        if xml_value is None or print_value is None:
            continue
        if not _agree(name, xml_value, print_value, credit_note=xml.subtype == "credit_note"):
            disagreements[name] = {"xml": _as_text(xml_value), "print": _as_text(print_value)}
    return disagreements


def _agree(name: str, xml_value, print_value, *, credit_note: bool) -> bool:
    if isinstance(xml_value, Decimal):
        xml_cents, print_cents = xml_value.quantize(_CENT), Decimal(print_value).quantize(_CENT)
        return print_cents == xml_cents or (credit_note and print_cents == -xml_cents)
    if isinstance(xml_value, date):
        return xml_value == print_value
    if name == "provider_vat_id":
        return _id_key(xml_value, keep="") == _id_key(print_value, keep="")
    return _id_key(xml_value) == _id_key(print_value)


def _id_key(value: str, keep: str = "-/._") -> str:
    """An id without whitespace, case and (for VAT ids, keep='') punctuation."""
    return "".join(c for c in str(value).upper() if c.isalnum() or c in keep)


def _as_text(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
