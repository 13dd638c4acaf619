"""The seller's and the buyer's VAT ids, scored by the learned VAT id models (invoice_reader/vat_ids.py)
on built pages: the buyer's id printed in the bill-to block, the seller's in the letterhead or the
legal footer, and a page that prints only the seller's id."""

from __future__ import annotations

from invoice_reader.extract import extract_invoice
from invoice_reader.party_roles import find_parties
from invoice_reader.vat_ids import compact_vat_id, vat_id_candidates, wrapped_vat_ids
from tests.placed_pages import TOTALS, page, rows


def test_buyers_id_in_the_bill_to_block_is_the_customers_and_the_letterheads_the_providers():
    pages = [
        page(
            (50, 50, "Larkspur Tooling SARL", 16),
            *rows(50, 72, "8 rue du Moulin", "69002 Lyon", "N° TVA : FR32123456789"),
            (400, 50, "FACTURE", 18),
            *rows(400, 78, "Facture n° : 5521", "Date : 12/03/2024"),
            *rows(300, 180, "Facturé à", "Pemberton Foods SAS", "21 avenue Foch", "75016 Paris",
                  "TVA : FR19787878784"),
            *TOTALS,
        )
    ]
    fields = extract_invoice(pages)
    assert (fields.provider_vat_id, fields.customer_vat_id) == ("FR32123456789", "FR19787878784")


def test_sellers_id_in_the_legal_footer_is_the_providers_even_printed_after_the_buyers():
    pages = [
        page(
            (50, 50, "Brightwater Labs GmbH", 16),
            *rows(50, 72, "Hafenstraße 3", "20457 Hamburg"),
            (400, 50, "RECHNUNG", 18),
            *rows(400, 78, "Rechnungsnummer: 2024-118", "Datum: 12.03.2024"),
            *rows(50, 170, "Rechnungsempfänger", "Kessler Maschinenbau AG", "Industrieweg 9", "70173 Stuttgart",
                  "USt-IdNr.: DE811569869"),
            *TOTALS,
            (50, 780, "Brightwater Labs GmbH · Amtsgericht Hamburg HRB 12345 · USt-IdNr. DE136695976", 7),
        )
    ]
    fields = extract_invoice(pages)
    assert fields.provider_vat_id == "DE136695976"
    assert fields.customer_vat_id == "DE811569869"


def test_a_lone_id_in_the_letterhead_is_the_providers_and_the_customer_has_none():
    pages = [
        page(
            (50, 50, "Larkspur Tooling Ltd", 16),
            *rows(50, 72, "8 Mill Lane", "Leeds LS1 4AB", "VAT No. GB123456789"),
            (400, 50, "INVOICE", 18),
            *rows(400, 78, "Invoice No.: 5521", "Date: 12/03/2024"),
            *rows(50, 180, "Bill to", "Pemberton Foods plc", "21 Castle Road", "York YO1 7HH"),
            *TOTALS,
        )
    ]
    fields = extract_invoice(pages)
    assert fields.provider_vat_id == "GB123456789"
    assert fields.customer_vat_id is None


def test_each_place_an_id_is_printed_is_a_candidate_and_ids_compare_compact():
    pages = [
        page(
            (50, 50, "Larkspur Tooling SARL", 16),
            *rows(50, 72, "N° TVA : FR 32 123 456 789"),
            *TOTALS,
            (50, 780, "Larkspur Tooling SARL · TVA FR32123456789", 7),
        )
    ]
    candidates = vat_id_candidates(pages, frozenset(), find_parties(pages))
    assert [c.value for c in candidates] == ["FR32123456789", "FR32123456789"]
    assert all(c.features["repeated"] > 0 for c in candidates)
    assert compact_vat_id("fr 32-123.456 789") == "FR32123456789"


def test_an_id_broken_over_two_lines_of_a_narrow_footer_cell_is_read_whole():
    """A legal footer in columns, its VAT id cell too narrow for the id: "FR 40 303" over "265 045"."""
    pages = [
        page(
            (50, 50, "Larkspur Tooling SARL", 16),
            *rows(50, 72, "8 rue du Moulin", "69002 Lyon"),
            (400, 50, "FACTURE", 18),
            *rows(400, 78, "Facture n° : 5521", "Date : 12/03/2024"),
            *rows(300, 180, "Facturé à", "Pemberton Foods SAS", "21 avenue Foch", "75016 Paris"),
            *TOTALS,
            *rows(50, 770, "RCS Lyon 303 265 045", "SIRET 30326504500017", size=7, step=9),
            *rows(200, 770, "TVA intracommunautaire FR 40 303", "265 045", size=7, step=9),
            *rows(400, 770, "IBAN FR76 3000 6000 0112", "3456 7890 189", size=7, step=9),
        )
    ]
    [(line, start, value)] = wrapped_vat_ids(pages)
    assert value == "FR40303265045"
    assert pages[0].lines[line].layout_text()[start:].startswith("FR 40 303")
    assert extract_invoice(pages).provider_vat_id == "FR40303265045"
    # Under another column, the digits do not go on the id.
    apart = page(*rows(200, 770, "TVA intracommunautaire FR 40 303", size=7), (400, 779, "265 045", 7))
    assert wrapped_vat_ids([apart]) == []
