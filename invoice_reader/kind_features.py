"""What a document shows about its kind, as features for the learned classifier (classify.py).

Two sorts of evidence, both generic (no feature names a vendor or a layout):
- the words that name a kind (kind_words.py), described by where they are: in the title zone (the
  largest-font lines and the first lines of page 1), alone on their line, first of all such words,
  high on the page, on page 1, anywhere; and how many body phrases of the kind the document uses;
- the structure of an invoice: an invoice-number label with a value, a dated date label, total
  and VAT labels with amounts, totals that add up, a VAT rate, a valid IBAN, a line-item table,
  how many amounts; and what speaks against one: a letter's prose, "this is not an invoice".

benchmarks/train_classifier.py fits the weights from the same functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .amounts import find_dates, guess_decimal_comma
from .kind_words import KindWord, find_kind_words, load_lexicon
from .label_values import cell_after, label_lines, text_after
from .labels import FIELD_LABELS
from .line_items import table_header
from .payment import find_iban
from .text_lines import PageText, TextLine, Word, build_lines
from .totals import CENT, find_total_candidates, money_amounts
from .vat_breakdown import vat_rates_printed

TITLE_LINES = 12
"""The first lines of page 1, where a document names what it is."""
LARGE_FONT = 1.25
"""A line whose words are this much taller than the page's usual words is set large."""
PROSE_WORDS = 9
"""A line of this many words or more is a sentence, not a label or a table row."""
EVIDENCE = (
    "title_large",
    "title_largest",
    "title_top",
    "standalone",
    "first",
    "high",
    "page1",
    "anywhere",
    "fuzzy",
    "title_line",
    "body",
    "body_top",
    "body_page1",
)
"""Per kind: how its words appear (see KindEvidence)."""
SUBTYPE_KINDS = ("invoice", "credit_note", "correction", "self_billing")
"""The kinds whose words tell a credit note from an invoice."""
SIGN_FEATURES = ("s.negative_total", "s.negative_share")


@dataclass
class KindEvidence:
    """How the words of one kind appear in the document; every value is 0..1 except body."""

    title_large: float = 0.0
    """A title word of the kind on a page-1 line set in a large font."""
    title_largest: float = 0.0
    """... on a page-1 line set in the largest font of the page."""
    title_top: float = 0.0
    """... among the first TITLE_LINES lines of page 1."""
    standalone: float = 0.0
    """The largest share of its line's letters a title word of the kind covers, in the title zone."""
    first: float = 0.0
    """Its title word is the first title word in the title zone of page 1, reading top to bottom (a
    title word further down is a reference: 'as per quote 12')."""
    high: float = 0.0
    """1 - the height on page 1 of its first title word, as a fraction of the page."""
    page1: float = 0.0
    anywhere: float = 0.0
    fuzzy: float = 0.0
    """Its title words were all found with a letter wrong."""
    title_line: float = 0.0
    """A word of the kind (title or body) on the line of the document's first title word: 'Rechnung
    Wasser', 'Invoice - gas supply', 'Facture (autofacturation)'."""
    body: float = 0.0
    """log(1 + the number of its body phrases)."""
    body_top: float = 0.0
    """A body phrase of the kind in the title zone ('Invoice No.' heading the page)."""
    body_page1: float = 0.0

    def as_features(self, prefix: str) -> dict[str, float]:
        return {f"{prefix}{name}": value for name in EVIDENCE if (value := getattr(self, name))}


@dataclass
class DocumentCues:
    """The evidence of one document: per kind, and its structure."""

    kinds: dict[str, KindEvidence] = field(default_factory=dict)
    """Only the kinds whose words appear."""
    structure: dict[str, float] = field(default_factory=dict)
    """Invoice structure, negative cues and size (names start with 's.' or 'c.')."""

    def type_features(self) -> dict[str, float]:
        """Features of the document_type model: the evidence of each group of kinds (invoice
        kinds, other kinds), the strongest of its kinds, and the structure."""
        lexicon = load_lexicon()
        features = dict(self.structure)
        for group in ("invoice", "other"):
            merged: dict[str, float] = {}
            for name, evidence in self.kinds.items():
                if lexicon.kinds[name].type != group:
                    continue
                for key, value in evidence.as_features("").items():
                    merged[key] = max(merged.get(key, 0.0), value)
            if merged.get("fuzzy") and any(merged.get(k) for k in ("title_top", "title_large")):
                merged.pop("fuzzy")
            features.update({f"{group}.{key}": value for key, value in merged.items()})
        return features

    def kind_features(self, kind: str) -> dict[str, float]:
        """Features of the document_kind model for one candidate kind: its evidence, whatever
        the kind, and the same marked with its name (what is typical of that kind)."""
        evidence = self.kinds.get(kind, KindEvidence())
        features = evidence.as_features("k.")
        features[f"kind={kind}"] = 1.0
        rivals = [e for name, e in self.kinds.items() if name != kind]
        features["rival.first"] = max((e.first for e in rivals), default=0.0)
        features["rival.title_largest"] = max((e.title_largest for e in rivals), default=0.0)
        for key in ("s.amounts", "s.table", "s.adds_up", "s.prose", "s.vat_rate"):
            if self.structure.get(key):
                features[f"kind={kind}|{key}"] = self.structure[key]
        return features

    def subtype_features(self, kind: str) -> dict[str, float]:
        """Features of the invoice_subtype model (credit note or invoice) of an invoice of this kind:
        the kind, the evidence of the kinds that decide it (a credit note's, a corrected invoice's,
        a self-billed invoice's, an invoice's words) and whether the totals are printed negative."""
        features = {key: value for key, value in self.structure.items() if key in SIGN_FEATURES}
        features[f"kind={kind}"] = 1.0
        for name in SUBTYPE_KINDS:
            if name in self.kinds:
                features.update(self.kinds[name].as_features(f"{name}."))
        return features

    def evidence_of(self, kind: str) -> bool:
        """Whether any word of the kind appears."""
        return kind in self.kinds


def document_cues(pages: list[PageText]) -> DocumentCues:
    """The kind evidence and the structure of the document."""
    cues = DocumentCues()
    _kind_evidence(pages, cues)
    cues.structure.update(_structure(pages))
    return cues


def pages_from_text(text: str) -> list[PageText]:
    """Pages built from plain text (form feeds between pages), every word the same size: for
    callers that have only the text. Without font sizes, the title zone is the first lines."""
    pages = []
    for index, page_text in enumerate(text.split("\f")):
        words = []
        for row, line in enumerate(page_text.splitlines()):
            x = 50.0
            for cell in line.split("  "):
                for token in cell.split():
                    words.append(Word(token, x, 50.0 + 14 * row, x + 5.0 * len(token), 60.0 + 14 * row))
                    x += 5.0 * (len(token) + 1)
                x += 60.0
        pages.append(PageText(index, build_lines(words), 600.0, max(850.0, 80.0 + 14 * len(page_text.splitlines()))))
    return pages


def _kind_evidence(pages: list[PageText], cues: DocumentCues) -> None:
    kinds = cues.kinds
    not_invoice = 0
    first_title_seen = False
    title_line: int | None = None
    kinds_on_line: dict[int, set[str]] = {}
    for page in pages:
        on_first = page.index == pages[0].index
        sizes = _font_sizes(page.lines) if on_first else None
        for number, line, text, height, words_in in _units(page, sizes):
            # A title is never inside a sentence: a prose line is body, however high it sits.
            prose = words_in >= PROSE_WORDS
            top_zone = on_first and number < TITLE_LINES and not prose
            large = largest = False
            if sizes is not None and height:
                usual, biggest = sizes
                large = height >= LARGE_FONT * usual and not prose
                largest = large and height >= 0.95 * biggest
            in_zone = top_zone or large
            words, found = find_kind_words(text, fuzzy=on_first and in_zone)
            if not found:
                continue
            letters = sum(len(w) for w in words if not w.isdigit()) or 1
            for match in found:
                if match.role == "cue":
                    not_invoice += "not_invoice" in match.names
                    continue
                first = match.role == "title" and on_first and in_zone and not first_title_seen
                if first:
                    first_title_seen, title_line = True, number
                if on_first:
                    kinds_on_line.setdefault(number, set()).update(match.names)
                for name in match.names:
                    evidence = kinds.setdefault(name, KindEvidence())
                    if match.role == "body":
                        evidence.body += 1
                        evidence.body_top = max(evidence.body_top, float(in_zone))
                        evidence.body_page1 = max(evidence.body_page1, float(on_first))
                        continue
                    _title_word(evidence, match, line, page, on_first, top_zone, large, largest, letters)
                    evidence.first = max(evidence.first, float(first))
    for name in kinds_on_line.get(title_line, ()) if title_line is not None else ():
        kinds[name].title_line = 1.0
    for evidence in kinds.values():
        evidence.body = math.log1p(evidence.body)
    if not_invoice:
        cues.structure["c.not_invoice"] = 1.0


@dataclass
class _Block:
    """Large-font cells stacked in one column of page 1."""

    x0: float
    x1: float
    bottom: float
    height: float
    start: int
    texts: list[str]
    words: int


def _units(page: PageText, sizes: tuple[float, float] | None) -> list[tuple[int, TextLine, str, float, int]]:
    """(line number, line, text, font height or 0, words) to read for kind words. On page 1 the
    cells set in a large font are read apart from the rest of their line, and stacked ones as one
    text (a title on two lines beside the letterhead, 'Corrected' over 'Invoice', 'BON DE' over
    'COMMANDE'), at the line where they start, with their height; elsewhere, each line."""
    if sizes is None:
        return [(number, line, line.text, 0.0, len(line.words)) for number, line in enumerate(page.lines)]
    threshold = LARGE_FONT * sizes[0]
    units: list[tuple[int, TextLine, str, float, int]] = []
    blocks: list[_Block] = []
    for number, line in enumerate(page.lines):
        small: list[str] = []
        for text, x0, x1, height, count in _large_runs(_cells(line), threshold):
            if height < threshold:
                small.append(text)
                continue
            for block in blocks:
                below = line.top - block.bottom
                if min(block.x1, x1) > max(block.x0, x0) and -0.3 * height <= below <= 1.5 * height:
                    block.x0, block.x1, block.bottom = min(block.x0, x0), max(block.x1, x1), line.top + height
                    block.texts.append(text)
                    block.words += count
                    block.height = max(block.height, height)
                    break
            else:
                blocks.append(_Block(x0, x1, line.top + height, height, number, [text], count))
        if small:
            units.append((number, line, "  ".join(small), 0.0, len(line.words)))
    lines = page.lines
    units += [(b.start, lines[b.start], " ".join(b.texts), b.height, b.words) for b in blocks]
    units.sort(key=lambda unit: (unit[0], -unit[3]))
    return units


def _large_runs(found: list[tuple[str, float, float, float, int]], threshold: float) -> list[tuple[str, float, float, float, int]]:
    """The cells with neighbouring large ones joined: a letter-spaced title ('I N V O I C E') is
    spread over as many cells as letters."""
    joined: list[tuple[str, float, float, float, int]] = []
    for cell in found:
        if joined and cell[3] >= threshold and joined[-1][3] >= threshold:
            text, x0, _, height, count = joined[-1]
            joined[-1] = (f"{text} {cell[0]}", x0, cell[2], max(height, cell[3]), count + cell[4])
        else:
            joined.append(cell)
    return joined


def _cells(line: TextLine) -> list[tuple[str, float, float, float, int]]:
    """The line's cells (split where the gap between words is wide): text, left, right, median
    word height, number of words."""
    text, spans = line.layout()
    found = []
    start = 0
    for part in text.split("  "):
        end = start + len(part)
        words = [word for word, (s, e) in zip(line.words, spans) if start <= s and e <= end]
        if part.strip() and words:
            heights = sorted(word.height for word in words)
            found.append((part.strip(), min(w.x0 for w in words), max(w.x1 for w in words),
                          heights[len(heights) // 2], len(words)))
        start = end + 2
    return found


def _title_word(
    evidence: KindEvidence,
    match: KindWord,
    line: TextLine,
    page: PageText,
    on_first: bool,
    top_zone: bool,
    large: bool,
    largest: bool,
    letters: int,
) -> None:
    # Fuzzy only while every title word of the kind so far was found with a letter wrong.
    evidence.fuzzy = float(match.fuzzy and (not evidence.anywhere or evidence.fuzzy == 1.0))
    evidence.anywhere = 1.0
    if not on_first:
        return
    if not evidence.page1 and page.height:
        evidence.high = max(0.0, 1.0 - line.top / page.height)
    evidence.page1 = 1.0
    evidence.title_large = max(evidence.title_large, float(large))
    evidence.title_largest = max(evidence.title_largest, float(largest))
    evidence.title_top = max(evidence.title_top, float(top_zone))
    if top_zone or large:
        evidence.standalone = max(evidence.standalone, min(1.0, match.letters / letters))


def _font_sizes(lines: list[TextLine]) -> tuple[float, float] | None:
    """The usual and the largest word height of the page (by words), or None without words."""
    heights = sorted(word.height for line in lines for word in line.words if word.height > 0)
    if not heights:
        return None
    return heights[len(heights) // 2], heights[-1]


def _structure(pages: list[PageText]) -> dict[str, float]:
    # The first and the last page hold the header and the totals; the pages between, only more rows.
    read = pages if len(pages) <= 2 else [pages[0], pages[-1]]
    lines = [line for page in read for line in page.lines]
    texts = [line.layout_text() for line in lines]
    decimal_comma = guess_decimal_comma("\n".join(texts))
    found: dict[str, float] = {}
    labelled = label_lines(lines, FIELD_LABELS)
    for i, entry in enumerate(labelled):
        for label in entry.labels:
            if label.kind == "invoice_number" and label.weight >= 2:
                value = text_after(entry, label) or cell_after(entry, label)
                if any(c.isdigit() for c in value[:24]):
                    found["s.number"] = 1.0
            elif label.kind == "date" and label.weight >= 2:
                near = entry.text[label.end :] + " " + (texts[i + 1] if i + 1 < len(texts) else "")
                if find_dates(near[:80]):
                    found["s.date" if label.weight >= 3 else "s.some_date"] = 1.0
            elif label.kind == "due_date":
                found["s.due"] = 1.0
    candidates = find_total_candidates(lines, decimal_comma)
    by_kind: dict[str, set] = {}
    for c in candidates:
        by_kind.setdefault(c.kind, set()).add(abs(c.value))
        if c.value < 0 and c.kind != "total_vat":
            found["s.negative_total"] = 1.0
    for kind, name in (("total_without_vat", "s.net"), ("total_vat", "s.vat"), ("total_with_vat", "s.gross")):
        if by_kind.get(kind):
            found[name] = 1.0
    if any(
        (net + vat).quantize(CENT) == gross.quantize(CENT)
        for net in by_kind.get("total_without_vat", ())
        for vat in by_kind.get("total_vat", ())
        for gross in by_kind.get("total_with_vat", ())
        if gross
    ):
        found["s.adds_up"] = 1.0
    if vat_rates_printed(lines, decimal_comma):
        found["s.vat_rate"] = 1.0
    if find_iban(lines) is not None:
        found["s.iban"] = 1.0
    if any(table_header(line) for line in lines):
        found["s.table"] = 1.0
    money = [m.value for text in texts for m in money_amounts(text, decimal_comma)]
    amounts = len(money)
    if amounts:
        found["s.negative_share"] = sum(value < 0 for value in money) / amounts
    found["s.amounts"] = min(1.0, math.log1p(amounts) / math.log1p(40))
    if amounts == 0:
        found["s.no_amounts"] = 1.0
    words = [len(line.words) for page in pages for line in page.lines]
    if words:
        found["s.prose"] = sum(n >= PROSE_WORDS for n in words) / len(words)
    found["s.pages"] = min(1.0, math.log(max(1, len(pages))) / math.log(10))
    if len(words) < 12:
        found["s.few_lines"] = 1.0
    return found
