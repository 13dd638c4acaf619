"""UN/CEFACT CII D16B (CrossIndustryInvoice), in the Factur-X / ZUGFeRD 2 EN 16931 profile."""

from __future__ import annotations

from lxml import etree

from .model import EInvoice, Line, Party, VatCategory, decimal_text, money_text
from .xml import element_writer

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
"""BT-24 of the Factur-X / ZUGFeRD 2 EN 16931 profile."""


def cii_xml(einvoice: EInvoice) -> bytes:
    """The invoice as CII XML (UTF-8, with declaration)."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap={"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT})
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931_GUIDELINE)

    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", einvoice.number)
    _sub(document, "ram:TypeCode", einvoice.type_code)
    _date(_sub(document, "ram:IssueDateTime"), einvoice.issue_date)

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for line in einvoice.lines:
        _line(transaction, line)

    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(_sub(agreement, "ram:SellerTradeParty"), einvoice.seller)
    _party(_sub(agreement, "ram:BuyerTradeParty"), einvoice.buyer)
    if einvoice.purchase_order:
        _sub(_sub(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", einvoice.purchase_order)

    _sub(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    _sub(settlement, "ram:InvoiceCurrencyCode", einvoice.currency)
    if einvoice.iban:
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        # 58: SEPA credit transfer; 30: any other credit transfer.
        _sub(means, "ram:TypeCode", "58" if einvoice.currency == "EUR" else "30")
        _sub(_sub(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", einvoice.iban)
        if einvoice.bic:
            _sub(_sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", einvoice.bic)
    for category in einvoice.vat:
        _tax(settlement, category, header=True)
    if einvoice.payment_terms or einvoice.due_date:
        terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
        if einvoice.payment_terms:
            _sub(terms, "ram:Description", einvoice.payment_terms)
        if einvoice.due_date:
            _date(_sub(terms, "ram:DueDateDateTime"), einvoice.due_date)
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", money_text(einvoice.line_total))
    _sub(summation, "ram:TaxBasisTotalAmount", money_text(einvoice.net_total))
    _sub(summation, "ram:TaxTotalAmount", money_text(einvoice.vat_total), currencyID=einvoice.currency)
    _sub(summation, "ram:GrandTotalAmount", money_text(einvoice.gross_total))
    if einvoice.prepaid:
        _sub(summation, "ram:TotalPrepaidAmount", money_text(einvoice.prepaid))
    _sub(summation, "ram:DuePayableAmount", money_text(einvoice.amount_due))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _line(transaction: etree._Element, line: Line) -> None:
    item = _sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
    _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.number))
    _sub(_sub(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)
    agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
    _sub(_sub(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", decimal_text(line.unit_price))
    delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
    _sub(delivery, "ram:BilledQuantity", decimal_text(line.quantity), unitCode=line.unit_code)
    settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
    _tax(settlement, line.vat, header=False)
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", money_text(line.net))


def _party(element: etree._Element, party: Party) -> None:
    _sub(element, "ram:Name", party.name)
    if party.country:
        _sub(_sub(element, "ram:PostalTradeAddress"), "ram:CountryID", party.country)
    if party.vat_id:
        _sub(_sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")


def _tax(parent: etree._Element, category: VatCategory, *, header: bool) -> None:
    tax = _sub(parent, "ram:ApplicableTradeTax")
    if header:
        _sub(tax, "ram:CalculatedAmount", money_text(category.amount))
    _sub(tax, "ram:TypeCode", "VAT")
    if header and category.exemption_reason:
        _sub(tax, "ram:ExemptionReason", category.exemption_reason)
    if header:
        _sub(tax, "ram:BasisAmount", money_text(category.base))
    _sub(tax, "ram:CategoryCode", category.code)
    if header and category.exemption_code:
        _sub(tax, "ram:ExemptionReasonCode", category.exemption_code)
    _sub(tax, "ram:RateApplicablePercent", decimal_text(category.rate))


def _date(parent: etree._Element, value) -> None:
    _sub(parent, "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")


_sub = element_writer({"rsm": RSM, "ram": RAM, "udt": UDT})
