"""Every name on the first pages that could be the seller or the buyer, described by features:

- the role word heading its block or its column ("Bill to", "Lieferadresse", "Vendeur": bill_to,
  ship_to, remit_to, seller), the key before it ("Name:"), a role word on its left;
- where it sits: top / upper / middle / footer band and left / centre / right, below the page's
  last amount (the closing lines and legal footer of a page that ends early), the DIN 5008
  window (45-90 mm from the top, 20-105 mm from the left of an A4 sheet), the letterhead (the
  largest print at the top that is not a label), its size against the page's usual print;
- what its block holds: a VAT id, bank details, contact details, a register entry, a postcode
  and town; how many lines;
- what its own cell holds (strong negatives): a field, total or column label, a reference word
  ("Your PO", "Ihr Auftrag"), an amount, a percentage, a date, a VAT id, bank details;
- whether the same name comes back in the footer, below the last amount, in a legal or register
  line, at the letterhead, under a remit-to heading; whether it reads as the page's e-mail or web
  domain;
- its shape: words, legal form, capitals, digits, lower-case and everyday words and the words of
  the reader's labels (labels and sentences are made of them), a postcode and town; how sure OCR
  was of its words; and the rule-based finders' choice.

    candidates = party_candidates(pages)   # Candidate(name, key, segment, start, features)

The same function feeds the models at run time (invoice_reader/party_roles.py) and in training
(benchmarks/train_parties.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from . import party_words as words
from .address_blocks import Block, Segment, line_segments, page_blocks
from .amounts import find_dates
from .label_values import LabelledLine, label_lines
from .labels import COLUMN_LABELS, FIELD_LABELS, TOTAL_LABELS, find_labels
from .language import common_words
from .language import fold as fold_word
from .parties import _CONTACT_RE, customer_found, provider_found, vat_ids_in
from .text_lines import PageText, TextLine

PAGES_READ = 1
"""Parties are printed on the first page; the next page is read only when the first names none (a
cover sheet). Of the 280 parties of the 140 multi-page training documents, 1 was printed only on
a later page."""
HEADING_REACH_EM = 3.0
"""How far above a block (in line heights) a heading cell still names it."""
COLUMN_REACH_EM = 12.0
"""How far above a cell (in line heights) a heading in its column, or its key's column, still names it."""

OCR_UNSURE = 0.4
"""Above this doubt (a mean word confidence under 60) OCR read the name from a logo, a stain or
a damaged line: in the training scans, no name read so was a party's."""

# DIN 5008 form B window, as shares of the page so that Letter pages and scans read the same.
_WINDOW_TOP, _WINDOW_BOTTOM = 45 / 297, 90 / 297
_WINDOW_LEFT, _WINDOW_RIGHT = 20 / 210, 105 / 210
_FOOTER_TOP = 0.85

_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b")
_BIC_RE = re.compile(r"\b(?:BIC|SWIFT)\b", re.IGNORECASE)
_POSTCODE_TOWN_RE = re.compile(
    r"(?:\b(?:[A-Z]{1,2}-)?\d{4,5}\s+[^\W\d]{2,}"  # 75011 Paris, D-12345 Berlin
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"  # UK postcodes
    r"|\b[A-Z]{2}\s\d{5}(?:-\d{4})?\b"  # US state and ZIP
    r"|\b\d{4}\s?[A-Z]{2}\s+[^\W\d]{2,})"  # Dutch postcodes
)
_AMOUNT_RE = re.compile(r"(?<![\d.,])\d+(?:[.,'’ ]\d{3})*[.,]\d{2}(?![\d.,%])")
_PERCENT_RE = re.compile(r"\d\s?%")
_DATE_RE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b")
_LETTER_RE = re.compile(r"[^\W\d_]")
_DIGIT_RE = re.compile(r"\d")
_ODD_MARK_RE = re.compile(r"[^\w\s&.,'’-]")
_DOMAIN_RE = re.compile(r"(?:@|\bwww\.|https?://(?:www\.)?)([a-z0-9][a-z0-9-]*)\.", re.IGNORECASE)


@dataclass(slots=True)
class Candidate:
    """A name that could be a party, and what the page says about it."""

    name: str
    key: str
    """The name as compared across the page (party_words.name_key)."""
    segment: Segment
    start: int
    """Offset of the name in its line's layout_text()."""
    features: dict[str, float]


@dataclass(slots=True)
class _Page:
    """What the features of one page's candidates share."""

    page: PageText
    rows: list[list[Segment]]
    first_line: int
    lines: list[TextLine]
    width: float
    height: float
    median_em: float
    letterhead_em: float
    domains: set[str]
    headings: list[tuple[Segment, str]]


def party_candidates(pages: list[PageText]) -> list[Candidate]:
    """Every name on the first pages that could be a party, with its features."""
    lines = [line for page in pages for line in page.lines]
    labelled = label_lines(lines, FIELD_LABELS)
    ruled_customer, customer_step = customer_found(lines, labelled)
    ruled_provider, provider_step = provider_found(lines, labelled, ruled_customer)
    customer_key, provider_key = words.name_key(ruled_customer or ""), words.name_key(ruled_provider or "")
    # The rule-based finders' choices, and the step that made each (a seller label counts for more
    # than the first legal form on the page).
    ruled = {
        "ruled_customer": customer_key,
        f"ruled_customer:{customer_step}": customer_key,
        "ruled_provider": provider_key,
        f"ruled_provider:{provider_step}": provider_key,
    }
    candidates: list[Candidate] = []
    first_line = 0
    for number, page in enumerate(pages):
        if candidates and number >= PAGES_READ:
            break
        candidates += _page_candidates(_read_page(page, first_line, lines, labelled))
        first_line += len(page.lines)
    _name_features(candidates, ruled)
    return candidates


def _read_page(page: PageText, first_line: int, lines: list[TextLine], labelled: list[LabelledLine]) -> _Page:
    rows = line_segments(page, first_line)
    height = page.height or 842.0
    ems = sorted(s.em for row in rows for s in row)
    # The letterhead: the largest print at the top that is not a title or a label ("INVOICE").
    top_ems = [
        s.em
        for row in rows
        for s in row
        if s.top < 0.3 * height and not any(s.start <= m.start < s.end for m in labelled[s.line].labels)
    ]
    domains = {
        words.fold(m.group(1)).replace("-", "")
        for row in rows
        for s in row
        if "@" in s.text or "www" in s.text or "http" in s.text
        for m in _DOMAIN_RE.finditer(s.text)
    }
    headings = [(s, role) for row in rows for s in row if (role := words.heading_cell(s.text))]
    return _Page(
        page,
        rows,
        first_line,
        lines,
        page.width or 595.0,
        height,
        ems[len(ems) // 2] if ems else 1.0,
        max(top_ems, default=0.0),
        domains,
        headings,
    )


def _page_candidates(p: _Page) -> list[Candidate]:
    amounts = {(s.line, s.start) for row in p.rows for s in row if _AMOUNT_RE.search(s.text)}
    priced = {row[0].line: sum((s.line, s.start) in amounts for s in row) for row in p.rows if row}
    # Below the page's last amount: the closing lines and the legal footer, wherever the page ends.
    last_amount = max((s.bottom for row in p.rows for s in row if (s.line, s.start) in amounts), default=None)
    found: list[Candidate] = []
    for number, block in enumerate(page_blocks(p.rows)):
        context: dict | None = None
        role, named, first = _heading_above(block, p.headings), 0, 0
        for position, segment in enumerate(block.segments):
            cell_role = words.heading_cell(segment.text)
            if cell_role:
                # A heading inside the block names what follows it.
                role, named, first = cell_role, 0, position + 1
                continue
            priced_cells = priced.get(segment.line, 0)
            if priced_cells >= 2 or (segment.line, segment.start) in amounts:
                continue  # a table row (quantities, prices, amounts), an amount
            labels = _label_features(p.lines[segment.line], segment)
            if labels.get("cell_is_label"):
                continue  # "Total TTC", a column heading: never a name
            names = words.names_in(segment.text)
            titled = words.is_salutation(segment.text)
            following = block.segments[position + 1] if position + 1 < len(block.segments) else None
            if (names or titled) and following is not None and following.line == segment.line + 1:
                joined = words.two_line_name(segment.text, following.text)
                if joined:
                    names.append((joined, 0, "two_lines", None))
                    # A name a narrow column wraps over three lines, its legal form alone on the last.
                    third = block.segments[position + 2] if position + 2 < len(block.segments) else None
                    if third is not None and third.line == segment.line + 2 and words.is_legal_form(third.text):
                        names.append((f"{joined} {third.text.strip()}", 0, "two_lines", None))
            if (
                names
                and following is not None
                and following.line - segment.line in (1, 2)
                and words.is_legal_form(following.text)
            ):  # the legal form alone on the next line of the name's column ("Acme Tools" / "GmbH")
                names.append((f"{segment.text.strip()} {following.text.strip()}", 0, "two_lines", None))
            if not names:
                continue
            previous = block.segments[position - 1] if position else None
            after_title = (
                previous is not None and previous.line == segment.line - 1 and words.is_salutation(previous.text)
            )
            if context is None:
                context = _block_features(block)
            row = p.rows[segment.line - p.first_line]
            left = next((s for s in reversed(row) if s.x1 <= segment.x0), None)
            shared = dict(context)
            shared.update(_segment_features(segment, row, p))
            if priced_cells:
                shared["line_amount"] = 1.0
            if last_amount is not None and segment.top >= last_amount:
                shared["after_amounts"] = 1.0
            shared.update(labels)
            shared[f"heading:{role or 'none'}"] = 1.0
            key = left if left is not None and words.is_key(left.text) else None
            column_role = _column_role(segment, key, p.headings)
            shared[f"column_role:{column_role or 'none'}"] = 1.0
            # A role word on the cell's left names it when it is the cell's key ("Bill to:  ACME"),
            # not when it heads another block on the same line.
            beside = left is not None and (left.text.rstrip().endswith(":") or segment.x0 - left.x1 < 3 * segment.em)
            if beside and (left_role := words.heading_cell(left.text)):
                shared[f"heading_left:{left_role}"] = 1.0
            if key is not None:
                shared[f"key:{words.key_kind(key.text)}"] = 1.0
            shared[f"block_line:{min(position - first, 3)}"] = 1.0
            shared[f"block_name:{min(named, 2)}"] = 1.0
            if after_title:
                shared["salutation_above"] = 1.0
            shared["page_later"] = float(p.page.index > 0)
            shared["block_order"] = min(number, 10) / 10
            for name, start, source, key_kind in names:
                name_key = words.name_key(name)
                if not name_key:
                    continue
                features = dict(shared)
                features[f"source:{source}"] = 1.0
                if key_kind:
                    features[f"key:{key_kind}"] = 1.0
                features.update(_name_shape(name))  # cached: copied, never changed
                doubt = _ocr_doubt(p.lines[segment.line], segment.start + start, len(name))
                if doubt is not None:
                    features["ocr_doubt"] = doubt
                    if doubt > OCR_UNSURE:
                        features["ocr_unsure"] = 1.0
                if p.domains and _matches_domain(name_key, p.domains):
                    features["domain_match"] = 1.0
                found.append(Candidate(name, name_key, segment, segment.start + start, features))
            if not any(c.isdigit() for c in names[0][0]):
                named += 1  # names before this one in the block; numbers and ids do not count
    return found


def _heading_above(block: Block, headings: list[tuple[Segment, str]]) -> str | None:
    """The role of the nearest heading cell just above the block and over it, if any."""
    first = block.segments[0]
    above = [
        (first.top - s.bottom, role)
        for s, role in headings
        if s.page == first.page
        and 0 <= first.top - s.bottom <= HEADING_REACH_EM * first.em
        and min(s.x1, block.x1) - max(s.x0, block.x0) > 0
    ]
    return min(above)[1] if above else None


def _column_role(segment: Segment, key: Segment | None, headings: list[tuple[Segment, str]]) -> str | None:
    """The role of the nearest heading above the cell in its column, or in its key's column
    (key-value tables: "Verkäufer:" over "Name:  ACME")."""
    best: tuple[float, str] | None = None
    for s, role in headings:
        distance = segment.top - s.top
        if s.page != segment.page or not 0 < distance <= COLUMN_REACH_EM * segment.em:
            continue
        over = min(s.x1, segment.x1) - max(s.x0, segment.x0) > 0
        over_key = key is not None and min(s.x1, key.x1) - max(s.x0, key.x0) > 0
        if (over or over_key) and (best is None or distance < best[0]):
            best = (distance, role)
    return best[1] if best else None


def _block_features(block: Block) -> dict:
    """What the whole block holds: a VAT id, bank details, contact details, a register entry, a
    postcode and town, how many lines."""
    features: dict[str, float] = {}
    texts = [s.text for s in block.segments]
    joined = "\n".join(texts)
    if any(vat_ids_in(t) for t in texts):
        features["block_vat_id"] = 1.0
    if _IBAN_RE.search(joined) or _BIC_RE.search(joined):
        features["block_bank"] = 1.0
    if _CONTACT_RE.search(joined):
        features["block_contact"] = 1.0
    if words.vocabulary()["registration"].search(joined):
        features["block_registration"] = 1.0
    if _POSTCODE_TOWN_RE.search(joined):
        features["block_postcode"] = 1.0
    features["block_lines"] = min(len({s.line for s in block.segments}), 8) / 8
    return features


def _segment_features(segment: Segment, row: list[Segment], p: _Page) -> dict:
    """Where the name's cell sits, how big it is printed, and what else is on its line."""
    features: dict[str, float] = {}
    middle_x = (segment.x0 + segment.x1) / 2 / p.width
    top = segment.top / p.height
    vertical = "top" if top < 0.2 else "upper" if top < 0.4 else "footer" if top >= _FOOTER_TOP else "middle"
    horizontal = "left" if middle_x < 0.4 else "right" if middle_x > 0.6 else "centre"
    features[f"zone:{vertical}_{horizontal}"] = 1.0
    features[f"zone:{vertical}"] = 1.0
    if _WINDOW_TOP <= top <= _WINDOW_BOTTOM and _WINDOW_LEFT - 0.03 <= segment.x0 / p.width <= _WINDOW_RIGHT:
        features["din_window"] = 1.0
    size = segment.em / p.median_em if p.median_em else 1.0
    features["font_size"] = min(max(size, 0.5), 3.0) - 1.0
    if segment.em >= 0.98 * p.letterhead_em and p.letterhead_em >= 1.15 * p.median_em and top < 0.3:
        features["letterhead"] = 1.0  # the largest print at the top, clearly larger than the text
    features["line_cells"] = min(len(row), 6) / 6
    text = segment.text
    if _PERCENT_RE.search(text):
        features["cell_percent"] = 1.0
    if _DATE_RE.search(text) or find_dates(text):  # '14.03.2025', and '1. April 2024', 'March 1, 2024'
        features["cell_date"] = 1.0
    if vat_ids_in(text):
        features["cell_vat_id"] = 1.0
    if _IBAN_RE.search(text) or _BIC_RE.search(text):
        features["cell_bank"] = 1.0
    if _CONTACT_RE.search(text):
        features["cell_contact"] = 1.0
    for role in words.mentions(text):
        features[f"cell_{role}"] = 1.0
    found = words.heading(text)
    if found:
        features[f"cell_heading:{found[0]}"] = 1.0
    if words.pieces(text) >= 3:
        features["cell_pieces"] = 1.0
    return features


def _label_features(line: TextLine, segment: Segment) -> dict:
    """Field, total and column labels inside the cell. The whole line is labelled (other stages
    label the same lines, so the matches are cached) and the matches that start in the cell kept."""
    text = line.layout_text()
    features: dict[str, float] = {}

    def inside(m) -> bool:
        return segment.start <= m.start < segment.end

    if any(inside(m) and m.kind not in ("customer", "seller") for m in find_labels(text, FIELD_LABELS)):
        features["cell_field_label"] = 1.0
    size = len(segment.text.replace(" ", "")) - 2
    totals = [m for m in find_labels(text, TOTAL_LABELS) if inside(m) and m.kind != "ignore"]
    if totals:
        features["cell_total_label"] = 1.0
        if sum(m.end - m.start for m in totals) >= size:
            features["cell_is_label"] = 1.0  # the cell is a total's label only ("Total TTC")
    columns = [m for m in find_labels(text, COLUMN_LABELS) if inside(m)]
    if columns:
        features["cell_column_label"] = 1.0
        if sum(m.end - m.start for m in columns) >= size:
            features["cell_is_label"] = 1.0  # the cell is column headings only ("Qty  Description")
    return features


@lru_cache(maxsize=8192)
def _name_shape(name: str) -> dict[str, float]:
    """Features of the name itself: words, legal form, capitals, digits, a title before it, and
    the marks of OCR noise (short fragments and stray marks: "ee na", "ba | i")."""
    tokens = name.split()
    letters = len(_LETTER_RE.findall(name))
    features = {f"words:{min(len(tokens), 6)}": 1.0}
    if words.has_legal_form(name):
        features["legal_form"] = 1.0
    if letters and name.upper() == name:
        features["upper_case"] = 1.0
    digits = len(_DIGIT_RE.findall(name))
    if digits:
        features["digits"] = min(digits / max(letters, 1), 2.0)
    if words.starts_with_salutation(name):
        features["salutation"] = 1.0
    if words.names_a_street(name):
        features["street"] = 1.0
        if digits:
            features["street_number"] = 1.0
    short = sum(len(t) <= 2 for t in tokens) / len(tokens)
    if short >= 0.5:  # "ee na", "D pui"; not "Koffiehuis De Molen"
        features["short_words"] = short
    odd = len(_ODD_MARK_RE.findall(name))
    if odd:
        features["odd_marks"] = min(odd / len(name) * 5, 1.0)
    # Names are capitalised and made of proper nouns; labels, titles and sentences ("Suivi par",
    # "Période de", "La nota di credito") are made of lower-case and everyday invoice words.
    plain = [t for t in tokens if not words.has_legal_form(t)] or tokens
    lower = sum(t[0].islower() for t in plain) / len(plain)
    if lower:
        features["lower_words"] = lower
    if plain[-1][0].islower():
        features["ends_lower"] = 1.0
    folded = [fold_word(t.strip(".,:;()")) for t in plain]
    common = sum(t in common_words() for t in folded) / len(plain)
    if common:
        features["common_words"] = common
    labelled = sum(t in words.label_words() for t in folded) / len(plain)
    if labelled:
        features["label_words"] = labelled
    if _POSTCODE_TOWN_RE.search(name):
        features["postcode_town"] = 1.0
    return features


def _ocr_doubt(line: TextLine, start: int, length: int) -> float | None:
    """How little OCR trusted the name's words: 1 - their mean confidence / 100 (logos and stains
    read as letters score low). None where no word of it was OCR'd."""
    confidences = [w.confidence for w in line.words_covering(start, start + length) if w.confidence is not None]
    return 1 - sum(confidences) / len(confidences) / 100 if confidences else None


def _name_features(candidates: list[Candidate], ruled: dict[str, str]) -> None:
    """Features of the name across the pages read: printed again elsewhere, in the footer, below
    the last amount, in a legal or register line, at the letterhead, under a remit-to heading; the
    rule-based finders' choice."""
    by_key: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_key[candidate.key].append(candidate)
    for key, same in by_key.items():
        places = {(c.segment.line, c.segment.start) for c in same}
        footer = any(c.features.get("zone:footer") for c in same)
        legal = any(c.features.get("cell_legal") or c.features.get("cell_registration") for c in same)
        remit = any(c.features.get("heading:remit_to") for c in same)
        letterhead = any(c.features.get("letterhead") for c in same)
        closing = any(c.features.get("after_amounts") for c in same)
        for candidate in same:
            f = candidate.features
            f["repeated"] = min(len(places) - 1, 3) / 3
            if footer and not f.get("zone:footer"):
                f["also_in_footer"] = 1.0
            if legal and not (f.get("cell_legal") or f.get("cell_registration")):
                f["also_in_legal_line"] = 1.0
            if remit and not f.get("heading:remit_to"):
                f["also_remit_to"] = 1.0
            if letterhead and not f.get("letterhead"):
                f["also_letterhead"] = 1.0
            if closing and not f.get("after_amounts"):
                f["also_after_amounts"] = 1.0
            for feature, value in ruled.items():
                if value and value == key:
                    f[feature] = 1.0


def _matches_domain(key: str, domains: set[str]) -> bool:
    """Whether the name reads as one of the page's e-mail or web domains ("acme-shop.com")."""
    joined = key.replace(" ", "")
    first = key.split()[0] if key else ""
    return any(
        len(d) >= 3 and (d == joined or (len(joined) >= 4 and joined in d) or (len(first) >= 4 and first in d))
        for d in domains
    )
