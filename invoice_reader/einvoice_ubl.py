"""Invoice fields from an OASIS UBL 2.1 Invoice or CreditNote (XRechnung UBL, Peppol, Odoo exports).

Amounts are returned as the XML states them; the credit-note sign rule is applied by einvoice.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation

from .result import InvoiceFields, LineItem, VatRate

_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL_INVOICE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
UBL_CREDIT_NOTE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
UBL_ROOTS = (UBL_INVOICE_ROOT, UBL_CREDIT_NOTE_ROOT)

_NS = {"cac": _CAC, "cbc": _CBC}
_SUPPLIER = "cac:AccountingSupplierParty/cac:Party"
_CUSTOMER = "cac:AccountingCustomerParty/cac:Party"
_TOTALS = "cac:LegalMonetaryTotal"
_LINE_RATE_PATHS = (
    "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
    # Not EN 16931, but where Odoo writes it:
    "cac:TaxTotal/cac:TaxSubtotal/cbc:Percent",
    "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent",
)


def read_ubl(root: ET.Element) -> InvoiceFields:
    """The invoice fields of a parsed UBL document whose root is one of UBL_ROOTS (source='xml')."""
    credit_note = root.tag == UBL_CREDIT_NOTE_ROOT
    currency = _text(root, "cbc:DocumentCurrencyCode")
    line_tag = "cac:CreditNoteLine" if credit_note else "cac:InvoiceLine"
    quantity_tag = "cbc:CreditedQuantity" if credit_note else "cbc:InvoicedQuantity"
    means = root.findall("cac:PaymentMeans", _NS)
    lines = [_line_item(line, quantity_tag) for line in root.iterfind(line_tag, _NS)]
    return InvoiceFields(
        provider=_party_name(root, _SUPPLIER),
        provider_vat_id=_vat_id(root, _SUPPLIER),
        customer=_party_name(root, _CUSTOMER),
        customer_vat_id=_vat_id(root, _CUSTOMER),
        invoice_number=_text(root, "cbc:ID"),
        date=_date(root, "cbc:IssueDate"),
        # A UBL CreditNote has no cbc:DueDate; EN 16931 puts its due date on the payment means.
        due_date=_first([_date(root, "cbc:DueDate"), *(_date(m, "cbc:PaymentDueDate") for m in means)]),
        currency=currency,
        total_without_vat=_amount(root, f"{_TOTALS}/cbc:TaxExclusiveAmount"),
        total_vat=_tax_total(root, currency),
        total_with_vat=_amount(root, f"{_TOTALS}/cbc:TaxInclusiveAmount"),
        amount_due=_amount(root, f"{_TOTALS}/cbc:PayableAmount"),
        lines_total=_amount(root, f"{_TOTALS}/cbc:LineExtensionAmount"),
        lines=[line for line in lines if line is not None],
        vat_breakdown=[
            VatRate(
                rate=_first(_amount(sub, path) for path in ("cac:TaxCategory/cbc:Percent", "cbc:Percent")),
                base=_amount(sub, "cbc:TaxableAmount"),
                amount=_amount(sub, "cbc:TaxAmount"),
            )
            for sub in _invoice_tax_total(root, currency).iterfind("cac:TaxSubtotal", _NS)
        ],
        purchase_order=_text(root, "cac:OrderReference/cbc:ID"),
        iban=_first(_text(m, "cac:PayeeFinancialAccount/cbc:ID") for m in means),
        bic=_first(_text(m, "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID") for m in means),
        payment_terms="; ".join(filter(None, map(_note_text, root.iterfind("cac:PaymentTerms/cbc:Note", _NS)))) or None,
        source="xml",
        type_code=_text(root, "cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode"),
    )


def _line_item(line: ET.Element, quantity_tag: str) -> LineItem | None:
    """One line; None for a section heading or note row (no unit, no quantity, no amount), which
    some exporters (Odoo) write as a line."""
    quantity = line.find(quantity_tag, _NS)
    unit = quantity.get("unitCode") if quantity is not None else None
    count = _decimal(quantity.text) if quantity is not None else None
    total = _amount(line, "cbc:LineExtensionAmount")
    if unit is None and not count and not total:
        return None
    return LineItem(
        designation=_name(line, "cac:Item/cbc:Name") or _name(line, "cac:Item/cbc:Description") or "",
        quantity=count,
        unit=unit,
        unit_price=_amount(line, "cac:Price/cbc:PriceAmount"),
        total_ht=total,
        vat_rate=_first(_amount(line, path) for path in _LINE_RATE_PATHS),
    )


def _party_name(root: ET.Element, party: str) -> str | None:
    """The legal name (EN 16931 BT-27/BT-44), else the trading name."""
    names = ("cac:PartyLegalEntity/cbc:RegistrationName", "cac:PartyName/cbc:Name")
    return _first(_name(root, f"{party}/{path}") for path in names)


def _note_text(note: ET.Element) -> str | None:
    text = re.sub(r"\s+", " ", note.text or "").strip()
    return text or None


def _vat_id(root: ET.Element, party: str) -> str | None:
    """The party's VAT id: the CompanyID of its PartyTaxScheme whose TaxScheme is VAT."""
    for scheme in root.iterfind(f"{party}/cac:PartyTaxScheme", _NS):
        if _text(scheme, "cac:TaxScheme/cbc:ID") == "VAT":
            return _text(scheme, "cbc:CompanyID")
    return None


def _invoice_tax_total(root: ET.Element, currency: str | None) -> ET.Element:
    """The TaxTotal in the invoice currency (a second one may be in the tax currency, without
    subtotals); an empty element when there is none."""
    for total in root.findall("cac:TaxTotal", _NS):
        amount = total.find("cbc:TaxAmount", _NS)
        if currency is None or amount is None or amount.get("currencyID") in (None, currency):
            return total
    return ET.Element("none")


def _tax_total(root: ET.Element, currency: str | None) -> Decimal | None:
    return _amount(_invoice_tax_total(root, currency), "cbc:TaxAmount")


def _first(values):
    return next((value for value in values if value is not None), None)


def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path, _NS)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _name(element: ET.Element, path: str) -> str | None:
    """A name with its line breaks and runs of spaces collapsed."""
    text = _text(element, path)
    return re.sub(r"\s+", " ", text) if text else None


def _amount(element: ET.Element, path: str) -> Decimal | None:
    return _decimal(_text(element, path))


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _date(element: ET.Element, path: str) -> date | None:
    """An ISO date (YYYY-MM-DD), the form UBL uses."""
    text = _text(element, path)
    if not text or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
