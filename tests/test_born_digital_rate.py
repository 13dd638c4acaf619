"""benchmarks/born_digital_rate.py sends the documents it says: the shares of multi-page documents and
of look-alikes asked for, each a distinct dev-seed document of a synthetic generator."""

import pypdfium2 as pdfium

from benchmarks.born_digital_rate import DEV_SEEDS, choose_documents


def test_chosen_documents_have_the_shares_asked_for():
    chosen = choose_documents(30, multi_page=0.2, lookalikes=0.1)

    assert len(chosen) == 30
    assert sum(kind == "lookalike" for _, _, kind, _, _ in chosen) == 3
    # The page counts are the PDFs' own, not only what the generator's labels say.
    pages = [len(pdfium.PdfDocument(pdf)) for *_, pdf, _ in chosen]
    assert pages == [p for *_, p in chosen]
    assert sum(p > 1 for p in pages) == 6
    assert len({(family, seed, kind) for family, seed, kind, _, _ in chosen}) == 30
    assert all(seed in DEV_SEEDS for _, seed, _, _, _ in chosen)
    assert {family for family, *_ in chosen} == {"reportlab", "html"}
