"""Read the Factur-X / ZUGFeRD / XRechnung invoice that a PDF may carry as a CII XML attachment."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation

from .result import InvoiceFields, LineItem

EINVOICE_ATTACHMENT_NAMES = (
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "zugferd_invoice.xml",
    "order-x.xml",
)
"""Attachment names the standards prescribe, compared case-insensitively, best first."""

CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"

_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_DOCUMENT = "rsm:ExchangedDocument"
_TRANSACTION = "rsm:SupplyChainTradeTransaction"
_AGREEMENT = f"{_TRANSACTION}/ram:ApplicableHeaderTradeAgreement"
_SETTLEMENT = f"{_TRANSACTION}/ram:ApplicableHeaderTradeSettlement"
_SUMMATION = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
_LINE_SUMMATION = "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation"


def find_einvoice_xml(attachments: list[tuple[str, bytes]]) -> bytes | None:
    """The content of the e-invoice attachment, or None when the PDF carries none.

    Prefers the standard names; otherwise takes any XML attachment whose root is a CII invoice.
    """
    by_name = {name.lower(): data for name, data in attachments}
    for name in EINVOICE_ATTACHMENT_NAMES:
        if name in by_name:
            return by_name[name]
    for name, data in attachments:
        if name.lower().endswith(".xml") and b"CrossIndustryInvoice" in data:
            return data
    return None


def parse_cii(xml: bytes) -> InvoiceFields | None:
    """The invoice fields of a CII document (source='xml'), or None when the XML is not one.

    Documents with a DOCTYPE are refused: CII never needs one, and refusing it rules out
    entity-expansion tricks, which xml.etree does not fully guard against.
    """
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        return None
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None
    if root.tag != CII_ROOT:
        return None

    currency = _text(root, f"{_SETTLEMENT}/ram:InvoiceCurrencyCode")
    fields = InvoiceFields(
        provider=_name(root, f"{_AGREEMENT}/ram:SellerTradeParty/ram:Name"),
        provider_vat_id=_text(
            root, f"{_AGREEMENT}/ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"
        ),
        customer=_name(root, f"{_AGREEMENT}/ram:BuyerTradeParty/ram:Name"),
        invoice_number=_text(root, f"{_DOCUMENT}/ram:ID"),
        date=_date(root, f"{_DOCUMENT}/ram:IssueDateTime/udt:DateTimeString"),
        due_date=_date(root, f"{_SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"),
        currency=currency,
        total_without_vat=_amount(root, f"{_SUMMATION}/ram:TaxBasisTotalAmount"),
        total_vat=_tax_total(root, currency),
        total_with_vat=_amount(root, f"{_SUMMATION}/ram:GrandTotalAmount"),
        lines_total=_amount(root, f"{_SUMMATION}/ram:LineTotalAmount"),
        lines=[_line_item(item) for item in root.iterfind(f"{_TRANSACTION}/ram:IncludedSupplyChainTradeLineItem", _NS)],
        source="xml",
        type_code=_text(root, f"{_DOCUMENT}/ram:TypeCode"),
    )
    return fields


def _line_item(item: ET.Element) -> LineItem:
    quantity = item.find("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", _NS)
    return LineItem(
        designation=_name(item, "ram:SpecifiedTradeProduct/ram:Name") or "",
        quantity=_decimal(quantity.text) if quantity is not None else None,
        unit=quantity.get("unitCode") if quantity is not None else None,
        unit_price=_amount(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"),
        total_ht=_amount(item, f"{_LINE_SUMMATION}/ram:LineTotalAmount"),
        vat_rate=_amount(item, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent"),
    )


def _tax_total(root: ET.Element, currency: str | None) -> Decimal | None:
    """TaxTotalAmount in the invoice currency; a second one may be given in the tax currency."""
    totals = root.findall(f"{_SUMMATION}/ram:TaxTotalAmount", _NS)
    for total in totals:
        if currency is None or total.get("currencyID") in (None, currency):
            return _decimal(total.text)
    return None


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
        return Decimal(text.strip())
    except InvalidOperation:
        return None


def _date(element: ET.Element, path: str) -> date | None:
    """A date in format 102 (YYYYMMDD), the only one EN 16931 allows."""
    text = _text(element, path)
    if not text or not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
