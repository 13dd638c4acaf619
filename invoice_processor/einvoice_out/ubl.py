"""OASIS UBL 2.1 Invoice, or CreditNote for a credit note, following EN 16931's UBL binding."""

from __future__ import annotations

from lxml import etree

from .model import EInvoice, Line, Party, VatCategory, decimal_text, money_text
from .xml import element_writer

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EN16931_CUSTOMIZATION = "urn:cen.eu:en16931:2017"
"""BT-24: the core EN 16931 specification, without a CIUS."""


def ubl_xml(einvoice: EInvoice) -> bytes:
    """The invoice as UBL XML (UTF-8, with declaration): an Invoice, or a CreditNote for a credit note."""
    credit = einvoice.credit_note
    namespace = CREDIT_NOTE if credit else INVOICE
    root = etree.Element(
        f"{{{namespace}}}{'CreditNote' if credit else 'Invoice'}", nsmap={None: namespace, "cac": CAC, "cbc": CBC}
    )
    currency = einvoice.currency
    _sub(root, "cbc:CustomizationID", EN16931_CUSTOMIZATION)
    _sub(root, "cbc:ID", einvoice.number)
    _sub(root, "cbc:IssueDate", einvoice.issue_date.isoformat())
    if einvoice.due_date and not credit:
        _sub(root, "cbc:DueDate", einvoice.due_date.isoformat())
    _sub(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", einvoice.type_code)
    _sub(root, "cbc:DocumentCurrencyCode", currency)
    if einvoice.purchase_order:
        _sub(_sub(root, "cac:OrderReference"), "cbc:ID", einvoice.purchase_order)
    _party(_sub(root, "cac:AccountingSupplierParty"), einvoice.seller)
    _party(_sub(root, "cac:AccountingCustomerParty"), einvoice.buyer)
    # A CreditNote has no DueDate: EN 16931 puts a credit note's due date on its payment means.
    credit_due_date = einvoice.due_date if credit else None
    if einvoice.iban or credit_due_date:
        means = _sub(root, "cac:PaymentMeans")
        # 58: SEPA credit transfer; 30: any other credit transfer; 1: not defined (a due date alone).
        code = ("58" if currency == "EUR" else "30") if einvoice.iban else "1"
        _sub(means, "cbc:PaymentMeansCode", code)
        if credit_due_date:
            _sub(means, "cbc:PaymentDueDate", credit_due_date.isoformat())
        if einvoice.iban:
            account = _sub(means, "cac:PayeeFinancialAccount")
            _sub(account, "cbc:ID", einvoice.iban)
            if einvoice.bic:
                _sub(_sub(account, "cac:FinancialInstitutionBranch"), "cbc:ID", einvoice.bic)
    if einvoice.payment_terms:
        _sub(_sub(root, "cac:PaymentTerms"), "cbc:Note", einvoice.payment_terms)

    tax_total = _sub(root, "cac:TaxTotal")
    _sub(tax_total, "cbc:TaxAmount", money_text(einvoice.vat_total), currencyID=currency)
    for category in einvoice.vat:
        subtotal = _sub(tax_total, "cac:TaxSubtotal")
        _sub(subtotal, "cbc:TaxableAmount", money_text(category.base), currencyID=currency)
        _sub(subtotal, "cbc:TaxAmount", money_text(category.amount), currencyID=currency)
        _category(_sub(subtotal, "cac:TaxCategory"), category, with_reason=True)

    totals = _sub(root, "cac:LegalMonetaryTotal")
    _sub(totals, "cbc:LineExtensionAmount", money_text(einvoice.line_total), currencyID=currency)
    _sub(totals, "cbc:TaxExclusiveAmount", money_text(einvoice.net_total), currencyID=currency)
    _sub(totals, "cbc:TaxInclusiveAmount", money_text(einvoice.gross_total), currencyID=currency)
    if einvoice.prepaid:
        _sub(totals, "cbc:PrepaidAmount", money_text(einvoice.prepaid), currencyID=currency)
    _sub(totals, "cbc:PayableAmount", money_text(einvoice.amount_due), currencyID=currency)

    for line in einvoice.lines:
        _line(root, line, currency, credit)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _line(root: etree._Element, line: Line, currency: str, credit: bool) -> None:
    element = _sub(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
    _sub(element, "cbc:ID", str(line.number))
    _sub(element, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity", decimal_text(line.quantity),
         unitCode=line.unit_code)
    _sub(element, "cbc:LineExtensionAmount", money_text(line.net), currencyID=currency)
    item = _sub(element, "cac:Item")
    _sub(item, "cbc:Name", line.name)
    _category(_sub(item, "cac:ClassifiedTaxCategory"), line.vat, with_reason=False)
    _sub(_sub(element, "cac:Price"), "cbc:PriceAmount", decimal_text(line.unit_price), currencyID=currency)


def _party(parent: etree._Element, party: Party) -> None:
    element = _sub(parent, "cac:Party")
    _sub(_sub(element, "cac:PartyName"), "cbc:Name", party.name)
    if party.country:
        address = _sub(element, "cac:PostalAddress")
        _sub(_sub(address, "cac:Country"), "cbc:IdentificationCode", party.country)
    if party.vat_id:
        scheme = _sub(element, "cac:PartyTaxScheme")
        _sub(scheme, "cbc:CompanyID", party.vat_id)
        _sub(_sub(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    _sub(_sub(element, "cac:PartyLegalEntity"), "cbc:RegistrationName", party.name)


def _category(element: etree._Element, category: VatCategory, *, with_reason: bool) -> None:
    _sub(element, "cbc:ID", category.code)
    _sub(element, "cbc:Percent", decimal_text(category.rate))
    if with_reason and category.exemption_code:
        _sub(element, "cbc:TaxExemptionReasonCode", category.exemption_code)
    if with_reason and category.exemption_reason:
        _sub(element, "cbc:TaxExemptionReason", category.exemption_reason)
    _sub(_sub(element, "cac:TaxScheme"), "cbc:ID", "VAT")


_sub = element_writer({"cac": CAC, "cbc": CBC})
