"""The evaluation harness: seeded synthetic documents, the scoring rules, and the one command."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import pairwise

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from benchmarks import evaluate
from benchmarks.scoring import FieldTally, LineScore, compare_field, designation_similarity, match_lines, normalise_name
from benchmarks.synthetic import FAMILIES, SENDER_STYLES, make_document

CENT = Decimal("0.01")


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\f".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


@lru_cache(maxsize=None)
def _document(seed: int) -> tuple[bytes, dict]:
    """make_document(seed), made once for all the tests that look through the first seeds' invoices
    (they read the labels, never change them)."""
    return make_document(seed)


@pytest.mark.parametrize("seed", [0, 7, 999])
def test_same_seed_gives_same_labels_and_same_pdf(seed):
    pdf_a, labels_a = make_document(seed)
    pdf_b, labels_b = make_document(seed)
    assert labels_a == labels_b
    assert pdf_a == pdf_b
    assert _text(pdf_a) == _text(pdf_b)


def test_different_seeds_give_different_documents():
    assert make_document(1)[1]["fields"] != make_document(2)[1]["fields"]


def test_labels_add_up_to_the_cent():
    for seed in range(40):
        labels = _document(seed)[1]
        fields = labels["fields"]
        d = lambda v: Decimal(v)
        for line in fields["lines"]:
            if line["quantity"] is None:  # a lump sum: neither quantity nor unit price printed
                assert line["unit_price"] is None
                continue
            assert (d(line["quantity"]) * d(line["unit_price"])).quantize(CENT, ROUND_HALF_UP) == d(line["total_ht"])
        breakdown = fields["vat_breakdown"]
        assert sum(d(b["base"]) for b in breakdown) == d(fields["total_without_vat"])
        assert sum(d(b["amount"]) for b in breakdown) == d(fields["total_vat"])
        if labels["layout"] == "till":  # prices include VAT: each rate's gross is split into net and VAT
            assert sum(d(line["total_ht"]) for line in fields["lines"]) == d(fields["total_with_vat"])
            for b in breakdown:
                gross = sum(d(line["total_ht"]) for line in fields["lines"] if d(line["vat_rate"]) == d(b["rate"]))
                assert (gross * 100 / (100 + d(b["rate"]))).quantize(CENT, ROUND_HALF_UP) == d(b["base"])
                assert d(b["base"]) + d(b["amount"]) == gross
            continue
        for b in breakdown:
            assert (d(b["base"]) * d(b["rate"]) / 100).quantize(CENT, ROUND_HALF_UP) == d(b["amount"])
        if not labels["discount"]:
            assert sum(d(line["total_ht"]) for line in fields["lines"]) == d(fields["total_without_vat"])
        assert d(fields["total_without_vat"]) + d(fields["total_vat"]) == d(fields["total_with_vat"])
        if not labels["account_summary"]:  # a bill adds what was open before it (benchmarks/synthetic.py)
            assert d(fields["amount_due"]) <= d(fields["total_with_vat"]) or d(fields["total_with_vat"]) < 0


def test_credit_notes_have_negative_totals():
    credit = [labels for labels in (make_document(s)[1] for s in range(60)) if labels["subtype"] == "credit_note"]
    assert credit
    assert all(Decimal(labels["fields"]["total_with_vat"]) < 0 for labels in credit)


def test_printed_values_are_on_the_page():
    pdf, labels = make_document(3)
    text = _text(pdf)
    assert labels["fields"]["provider"] in text
    assert labels["fields"]["invoice_number"] in text


def test_generator_covers_layouts_languages_and_lookalikes():
    labels = [make_document(s)[1] for s in range(60)]
    assert {lab["layout"] for lab in labels} == {*FAMILIES, "till"}
    assert {lab["language"] for lab in labels} == {"en", "fr", "de", "nl", "it", "es"}
    assert any(lab["pages"] > 1 for lab in labels)
    others = [make_document(s, "lookalike")[1] for s in range(12)]
    assert all(lab["document_type"] == "other" for lab in others)


def test_names_ignore_case_spacing_and_legal_form():
    assert normalise_name("Atelier  Dupont SARL") == normalise_name("ATELIER DUPONT")
    assert normalise_name("Herrn\nMax Mustermann") == normalise_name("Max Mustermann")
    assert normalise_name("M. Dupont") != normalise_name("Dupont")  # a salutation never leaves one word
    assert compare_field("provider", "Müller Druckerei GmbH", "muller druckerei", strict=True) == "correct"
    assert compare_field("provider", "Müller Druckerei GmbH", "Müller Druck GmbH", strict=True) == "wrong"


def test_ids_ignore_spaces_dots_and_dashes():
    assert compare_field("provider_vat_id", "FR32123456789", "FR 32 123.456-789", strict=True) == "correct"
    assert compare_field("invoice_number", "INV/2024/7", "INV-2024-7", strict=True) == "wrong"


def test_amounts_are_exact_to_the_cent():
    assert compare_field("total_with_vat", "1234.50", Decimal("1234.5"), strict=True) == "correct"
    assert compare_field("total_with_vat", "1234.50", "1234.51", strict=True) == "wrong"


def test_null_outcomes_depend_on_label_completeness():
    assert compare_field("iban", "FR7630006000011234567890189", None, strict=True) == "missed"
    assert compare_field("iban", None, "FR76...", strict=True) == "false_positive"
    assert compare_field("iban", None, None, strict=True) == "correct_null"
    assert compare_field("iban", None, "FR76...", strict=False) is None


def test_due_date_implied_by_printed_terms_is_accepted():
    implied = ("2025-04-13",)
    assert compare_field("due_date", None, "2025-04-13", strict=True, alternatives=implied) == "correct"
    assert compare_field("due_date", None, "2025-04-14", strict=True, alternatives=implied) == "false_positive"
    assert compare_field("due_date", None, None, strict=True, alternatives=implied) == "correct_null"


def test_lines_match_on_total_and_similar_designation():
    expected = [
        {"designation": "Website redesign", "total_ht": "100.00"},
        {"designation": "Hosting 12 months", "total_ht": "50.00"},
    ]
    predicted = [
        {"designation": "Hosting (12 months) 1", "total_ht": "50.00"},
        {"designation": "Logo", "total_ht": "100.00"},
    ]
    assert match_lines(expected, predicted) == [(1, 0)]
    score = LineScore()
    score.add(expected, predicted)
    assert (score.precision, score.recall, score.f1) == (0.5, 0.5, 0.5)
    assert designation_similarity("a b", "c d") == 0.0


def test_an_item_name_label_matches_a_designation_that_goes_on_with_its_description():
    expected = [{"designation": "Ballons", "total_ht": "316.00"}]
    printed = [{"designation": "Ballons: various colours, 2000 ml", "total_ht": "316.00"}]
    assert match_lines(expected, printed) == []  # whole-designation labels: too different
    assert match_lines(expected, printed, name_only_labels=True) == [(0, 0)]
    # The name must open the designation: the same words elsewhere, or only some of them, are not it.
    assert match_lines(expected, [{"designation": "Colourful Ballons pack of 20", "total_ht": "316.00"}], True) == []
    two_words = [{"designation": "Support service", "total_ht": "60.00"}]
    assert match_lines(two_words, [{"designation": "Support - period December 2019", "total_ht": "60.00"}], True) == []
    score = LineScore(name_only_labels=True)
    score.add(expected, printed)
    assert score.f1 == 1.0


def test_tally_counts_correct_nulls_as_right():
    tally = FieldTally()
    for outcome in ("correct", "correct_null", "missed", "false_positive"):
        tally.add("iban", outcome)
    assert tally.accuracy("iban") == 0.5
    assert tally.found_accuracy("iban") == 0.5


def test_evaluate_command_runs_end_to_end_on_three_documents():
    report = evaluate.main(
        ["--count", "3", "--scanned-count", "0", "--lookalike-count", "0", "--no-corpus", "--workers", "1"]
    )
    assert "seeds: dev range, born-digital 0..2" in report
    assert "synthetic families: reportlab, html" in report
    assert "### Synthetic: field accuracy" in report
    assert "| **all** | 6 |" in report  # 3 per family
    assert "| reportlab born-digital (incl. look-alikes) | 3 |" in report
    assert "| html born-digital (incl. look-alikes) | 3 |" in report


def test_held_out_seeds_are_outside_the_dev_range():
    assert evaluate.seed_list("held-out", 3) == [100_000, 100_001, 100_002]
    with pytest.raises(SystemExit):
        evaluate.seed_list("dev", 1001)


def test_till_receipts_print_their_shop_number_and_no_customer():
    tills = [(pdf, labels) for pdf, labels in (make_document(s) for s in range(80)) if labels["layout"] == "till"]
    assert tills
    for pdf, labels in tills:
        text = _text(pdf)
        fields = labels["fields"]
        assert fields["provider"] in text and fields["invoice_number"] in text
        assert fields["customer"] is None and labels["document_type"] == "invoice"


def test_till_quantity_lines_and_vat_summaries_add_up_in_each_way_they_are_printed():
    import re

    amount = r"\d+[.,]\d{2}"
    quantity_line = re.compile(rf"^\s*(\d+) x ({amount})(?: ({amount}) [A-C])?$")
    gross_row = re.compile(rf"^[A-C] [\d.,]+ % ({amount}) ({amount}) ({amount})$")
    value = lambda text: Decimal(text.replace(",", "."))  # noqa: E731
    seen = {"amount under the item": 0, "amount beside the item": 0, "rate's gross": 0}
    for seed in range(200):
        pdf, labels = _document(seed)
        if labels["layout"] != "till":
            continue
        for row in _text(pdf).splitlines():
            if m := quantity_line.match(row):
                seen["amount under the item" if m[3] else "amount beside the item"] += 1
                if m[3]:
                    assert value(m[1]) * value(m[2]) == value(m[3]), row
            if m := gross_row.match(row):
                seen["rate's gross"] += 1
                assert value(m[1]) + value(m[2]) == value(m[3]), row
    assert all(seen.values()), seen


def test_sellers_are_printed_large_plain_under_a_heading_or_below_a_logo_on_one_line_or_two():
    documents = [make_document(s) for s in range(40)]
    styles = {labels["sender_style"] for _, labels in documents if labels["layout"] != "till"}
    assert styles == set(SENDER_STYLES)
    assert any(labels.get("sender_name_lines") == 2 for _, labels in documents)
    for pdf, labels in documents:
        assert labels["fields"]["provider"] in " ".join(_text(pdf).split())  # a long name may wrap
        document = pdfium.PdfDocument(pdf)
        try:
            pictures = [o for o in document[0].get_objects() if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
        finally:
            document.close()
        # The logo is a picture (no text layer, as logos are); no other style draws one.
        assert bool(pictures) == (labels.get("sender_style") == "logo")


def test_a_line_labelled_without_its_total_matches_on_quantity_times_unit_price():
    expected = [{"designation": "Hosting", "quantity": 3, "unit_price": 1.295, "total_ht": None}]
    assert match_lines(expected, [{"designation": "Hosting", "total_ht": "3.89"}]) == [(0, 0)]
    assert match_lines(expected, [{"designation": "Hosting", "total_ht": "1.30"}]) == []
    assert match_lines([{"designation": "Hosting", "unit_price": 1.3}], [{"designation": "Hosting", "total_ht": "1.30"}]) == []


def test_dutch_italian_and_spanish_invoices_carry_ids_with_valid_check_digits():
    from invoice_reader.ids import iban_is_valid, vat_id_is_valid

    labels = [make_document(s)[1] for s in range(120)]
    new = [lab for lab in labels if lab["language"] in ("nl", "it", "es") and lab["layout"] != "till"]
    assert {lab["language"] for lab in new} == {"nl", "it", "es"}
    ids = [lab["fields"][name] for lab in new for name in ("provider_vat_id", "customer_vat_id") if lab["fields"][name]]
    ibans = [lab["fields"]["iban"] for lab in new if lab["fields"]["iban"]]
    assert ids and ibans
    assert all(vat_id_is_valid(value) for value in ids), ids
    assert all(iban_is_valid(value) for value in ibans), ibans


def test_order_numbers_come_in_several_shapes():
    orders = [o for o in (make_document(s)[1]["fields"]["purchase_order"] for s in range(150)) if o]
    assert any(o.isdigit() for o in orders)
    assert any(" " in o for o in orders) and any("/" in o for o in orders) and any("-" in o for o in orders)
    assert any(o[:1].isalpha() and o[-1].isdigit() and o.isalnum() for o in orders)  # "CMD974496"


def test_labels_wrap_in_a_narrow_column_in_some_documents_only():
    wrapped = 0
    for seed in range(40):
        pdf, labels = _document(seed)
        if labels["layout"] == "till":
            continue
        lines = [line.strip() for line in _text(pdf).splitlines()]
        # A label that wrapped leaves a line holding only its last word and the colon ("commande:").
        wrapped += any(line.endswith(":") and " " not in line and len(line) > 3 for line in lines)
    assert 3 <= wrapped <= 30


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch == "\n")


def test_some_bills_print_an_account_summary_that_adds_an_open_balance_or_takes_off_instalments():
    open_balances, instalments, paid_up = 0, 0, 0
    for seed in range(300):
        pdf, labels = _document(seed)
        if labels.get("layout") == "till" or not labels["account_summary"]:
            continue
        fields = labels["fields"]
        difference = Decimal(fields["amount_due"]) - Decimal(fields["total_with_vat"])
        assert labels["subtype"] == "invoice"
        digits = _digits(_text(pdf))
        assert f"{Decimal(fields['amount_due']):.2f}".replace(".", "") in digits  # printed as what is due
        # The open balance added, or the instalments taken off, is printed as one amount.
        assert not difference or f"{abs(difference):.2f}".replace(".", "") in digits
        open_balances += difference > 0
        instalments += difference < 0
        paid_up += difference == 0
    assert open_balances >= 3 and instalments >= 3 and paid_up >= 3


def test_some_invoices_print_a_vat_table_with_each_rates_base_and_vat():
    tables = 0
    for seed in range(120):
        pdf, labels = _document(seed)
        if labels.get("layout") == "till" or not labels["vat_table"]:
            continue
        tables += 1
        digits = _digits(_text(pdf))
        for rate in labels["fields"]["vat_breakdown"]:
            assert f"{Decimal(rate['base']):.2f}".replace(".", "").lstrip("-") in digits
            assert f"{Decimal(rate['amount']):.2f}".replace(".", "").lstrip("-") in digits
    assert 8 <= tables <= 40


def test_some_customers_names_wrap_onto_a_second_line_as_in_a_narrow_window():
    wrapped = 0
    for seed in range(150):
        pdf, labels = _document(seed)
        name = labels["fields"]["customer"]
        if labels.get("layout") == "till" or not name:
            continue
        lines = [line.strip() for line in _text(pdf).replace("\r", "").splitlines()]
        if any(name in line for line in lines):
            continue
        wrapped += 1
        assert any(f"{a} {b}" == name for a, b in pairwise(lines))  # the rest on the next line
    assert 3 <= wrapped <= 30


def test_some_credit_notes_and_a_few_invoices_are_titled_as_corrections():
    corrections = [labels for labels in (make_document(s)[1] for s in range(400)) if labels.get("correction")]
    assert {labels["subtype"] for labels in corrections} == {"credit_note", "invoice"}
    for labels in corrections:
        negative = Decimal(labels["fields"]["total_with_vat"]) < 0
        assert negative == (labels["subtype"] == "credit_note")


def _flagged(flag: str, seeds: int):
    """(pdf, labels) of each of the first seeds' documents whose labels set flag."""
    for seed in range(seeds):
        pdf, labels = _document(seed)
        if labels.get(flag):
            yield pdf, labels


def test_some_sellers_shown_by_a_logo_print_their_name_in_the_footer_only():
    logo_only = 0
    for pdf, labels in _flagged("name_in_footer_only", 120):
        logo_only += 1
        assert labels["sender_style"] == "logo"
        lines = [line.strip() for line in _text(pdf).replace("\r", "").splitlines()]
        name = labels["fields"]["provider"]
        assert name in lines[-4:]  # the footer, over the page number
        assert not any(name in line for line in lines[:6])  # nothing but the picture says it at the top
    assert 2 <= logo_only <= 20


def _tops(pdf: bytes, text: str) -> list[float]:
    """The top (PDF points, from the bottom) of each place page 1 prints text."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0].get_textpage()
        searcher = page.search(text, match_case=True)
        tops = []
        while (found := searcher.get_next()) is not None:
            tops.append(page.get_charbox(found[0])[3])
        return tops
    finally:
        document.close()


def test_delivery_addresses_are_printed_beside_or_under_the_customers_block():
    from benchmarks.synthetic_locale import WORDS

    beside = under = 0
    for pdf, labels in _flagged("ship_to", 150):
        headings = [t for w in WORDS["ship_to"][labels["language"]] for t in _tops(pdf, w)]
        name = labels["fields"]["customer"].split()[0]
        customer = max(_tops(pdf, name))  # its block's first line; a delivery to it prints it lower
        assert len(headings) == 1
        if headings[0] > customer:  # level with the customer's heading, over its name
            beside += 1
        else:
            under += 1
    assert beside >= 3 and under >= 3


def test_some_corrective_credit_notes_are_numbered_as_invoices():
    from benchmarks.synthetic_locale import WORDS

    invoice_labels = {w for words in WORDS["number"].values() for w in words}
    as_invoices = 0
    for _, labels in _flagged("correction", 400):
        if labels["subtype"] == "credit_note" and labels["number_label"] in invoice_labels:
            as_invoices += 1
            assert Decimal(labels["fields"]["total_with_vat"]) < 0  # the sign still says what it is
    assert as_invoices >= 2


def test_some_titles_carry_the_invoice_number_and_the_meta_block_leaves_it_out():
    carried = 0
    for pdf, labels in _flagged("number_in_title", 120):
        carried += 1
        number = labels["fields"]["invoice_number"]
        first_page = _text(pdf).split("\f")[0]
        assert first_page.count(number) == 1
        line = next(line for line in first_page.splitlines() if number in line)
        assert line.strip().endswith(number) and len(line.strip()) > len(number)  # the title before it
    assert 3 <= carried <= 30
