"""Whose VAT ids the page prints. Every VAT id on the pages (parties.vat_ids_in, with its OCR
repair) is a candidate, once per place it is printed; two logistic models score it as the seller's
(`vat_id_provider`) and as the buyer's (`vat_id_customer`) from its features:

- the labels before it: in its own cell ("Customer VAT no:", "USt-IdNr."), in the cell on its left,
  in the cell above it, the role word heading its block or its column ("Bill to", "Vendeur"), a
  legal or register sentence around it; whether it lies in the customer's labelled block;
- where it lies against the chosen seller's and buyer's names (party_roles.find_parties): the same
  address block, the same column under the name, the same line, how far from each, which is nearer;
  whether its block prints a party's name anywhere (a legal footer naming the seller again);
- what its block holds: bank details, a register entry, contact details, a postcode and town;
- where it sits on the page (top, upper, middle, footer; left, centre, right; a later page);
- the document's ids: whether the same id comes back, whether it is the first or the only one,
  whether its country is another id's; what the id's other places say (`also:` features).

The best pair of two different ids by the product of their probabilities wins; each role takes an id
only when its probability reaches the threshold chosen on the training documents (the model file's
info['threshold']); no id at all weighs as an id that scores the threshold.

    ids = find_vat_ids(pages, ocr_pages, parties)
    ids.provider.value, ids.provider.line   # 'FR40303265045' and the line it was read on

The same vat_id_candidates feeds the models at run time and in training (benchmarks/train_vat_ids.py).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from . import party_words as words
from .address_blocks import Block, Segment, cells_going_on, line_segments, page_blocks
from .label_values import label_lines
from .labels import FIELD_LABELS
from .learned import best_pair, load_model
from .parties import COUNTRY_PREFIXES, customer_zone, in_zone, vat_ids_in
from .party_candidates import _FOOTER_TOP, _block_features, _column_role, _heading_above
from .party_roles import Parties, PartyName
from .text_lines import PageText

PROVIDER_MODEL, CUSTOMER_MODEL = "vat_id_provider", "vat_id_customer"
ROLES = (("provider", PROVIDER_MODEL), ("customer", CUSTOMER_MODEL))
DEFAULT_THRESHOLD = 0.5
"""A role's threshold where the model file has none."""
TOP_IDS = 6
"""Ids per role considered for the best pair."""
COLUMN_REACH_EM = 15.0
"""How far under a party's name (in line heights) an id in the name's column still counts as under it."""
NEAR_EM = 40.0
"""Distance (in line heights) at which nearness to a name counts for nothing."""
_ALSO_PREFIXES = ("same_block:", "same_column:", "name_line:", "cell:", "left:", "above:", "block_heading:",
                  "cell_heading:", "in_customer_zone", "name_in_block:", "role_said:")
"""Features of an id's place that its other places of print carry over, as also:<feature>."""
_COMPACT_RE = re.compile(r"[\s.\-]")
_CUT_ID_RE = re.compile(
    rf"(?<![A-Za-z0-9])(?:{COUNTRY_PREFIXES})(?:[\s.\-]?[0-9][0-9.\-]*(?: [0-9][0-9.\-]*)*)?(?=\s{{2}}|\s*$)"
)
"""A cell that ends in a VAT id's country prefix (and digits): the id may go on in the cell below."""
_ID_GOES_ON_RE = re.compile(r"[0-9A-Z][0-9A-Z .\-]*")


@dataclass(slots=True)
class VatCandidate:
    """One place a VAT id is printed, and what the page says about it."""

    value: str
    """The id, compact and upper case ('FR40303265045')."""
    line: int
    """Index of its line in the document's lines (all pages, in order)."""
    start: int
    """Offset of the id in its line's layout_text()."""
    features: dict[str, float]


@dataclass(frozen=True, slots=True)
class ChosenId:
    """A VAT id chosen for a role, and its probability."""

    value: str
    line: int
    """Index of the line of its place that scored best for the role."""
    probability: float


@dataclass(frozen=True, slots=True)
class VatIds:
    provider: ChosenId | None
    customer: ChosenId | None


def compact_vat_id(value: str) -> str:
    """The id without spaces, dots or dashes, in upper case: how ids are compared."""
    return _COMPACT_RE.sub("", value).upper()


def find_vat_ids(pages: list[PageText], ocr_pages: set[int] | frozenset[int], parties: Parties) -> VatIds:
    """The seller's and the buyer's VAT ids, each None when no id scores well enough. Raises
    learned.ModelMissing when the model files are not there."""
    return choose_vat_ids(vat_id_candidates(pages, ocr_pages, parties))


def choose_vat_ids(candidates: list[VatCandidate]) -> VatIds:
    """The best pair of different ids by the product of their probabilities; an id's probability
    for a role is its best place's."""
    ranked: dict[str, list[tuple[float, VatCandidate]]] = {}
    thresholds: dict[str, float] = {}
    for role, name in ROLES:
        model = load_model(name)
        thresholds[role] = float(model.info.get("threshold", DEFAULT_THRESHOLD))
        best: dict[str, tuple[float, VatCandidate]] = {}
        for candidate in candidates:
            p = model.score(candidate.features)
            held = best.get(candidate.value)
            if held is None or p > held[0]:
                best[candidate.value] = (p, candidate)
        ranked[role] = sorted(best.values(), key=lambda pc: (-pc[0], pc[1].line, pc[1].start))[:TOP_IDS]
    chosen = best_pair(ranked["provider"], ranked["customer"], (thresholds["provider"], thresholds["customer"]),
                       lambda seller, buyer: seller.value == buyer.value)
    return VatIds(*(ChosenId(o[1].value, o[1].line, o[0]) if o else None for o in chosen))


@dataclass(slots=True)
class _Place:
    """Where a text sits: its cell, its cell's block, its page."""

    segment: Segment
    block: Block
    page: int


def vat_id_candidates(
    pages: list[PageText], ocr_pages: set[int] | frozenset[int], parties: Parties
) -> list[VatCandidate]:
    """Every place a VAT id is printed on the pages, with its features, in reading order."""
    lines = [line for page in pages for line in page.lines]
    ocr = bool(ocr_pages)
    hits: list[tuple[int, int, str]] = []
    for index, line in enumerate(lines):
        hits += [(index, start, value) for start, value in vat_ids_in(line.layout_text(), ocr=ocr)]
    hits += wrapped_vat_ids(pages, ocr)
    if not hits:
        return []
    labelled = label_lines(lines, FIELD_LABELS)
    zone = customer_zone(labelled)
    names = {"provider": parties.provider, "customer": parties.customer}
    wanted = {index for index, _, _ in hits} | {n.line for n in names.values() if n is not None}
    places: dict[tuple[int, int], _Place] = {}
    rows_of: dict[int, list] = {}
    headings_of: dict[int, list] = {}
    first = 0
    for page in pages:
        last = first + len(page.lines)
        if any(first <= index < last for index in wanted):
            rows = line_segments(page, first)
            for block in page_blocks(rows):
                for segment in block.segments:
                    places[(segment.line, segment.start)] = _Place(segment, block, page.index)
            for row in rows:
                if row:
                    rows_of[row[0].line] = row
            headings_of[page.index] = [(s, role) for row in rows for s in row if (role := words.heading_cell(s.text))]
        first = last
    page_of = {page.index: page for page in pages}
    name_places = {role: _place_of(places, rows_of, n.line, n.start) if n else None for role, n in names.items()}

    found: list[VatCandidate] = []
    for index, start, value in hits:
        place = _place_of(places, rows_of, index, start)
        if place is None:
            continue
        features = _label_features(labelled, index, place, start, rows_of)
        features.update(_context_features(place, headings_of.get(place.page, [])))
        if in_zone(zone, labelled[index], start, start + len(value)):
            features["in_customer_zone"] = 1.0
        features.update(_party_features(place, name_places))
        features.update(_names_in_block(place, names))
        features.update(_block_features(place.block))
        features.update(_page_features(place, page_of[place.page]))
        features.update(_role_said(features))
        found.append(VatCandidate(value, index, start, features))
    _document_features(found)
    return found


def wrapped_vat_ids(pages: list[PageText], ocr: bool = False) -> list[tuple[int, int, str]]:
    """(line, offset, id) of each VAT id that a narrow cell breaks over two lines ("... FR 36 964" over
    "793 630"): a cell ending in a country prefix (and digits), joined with the cell under it in the
    same column, holds a well-formed id (parties.vat_ids_in) that the first cell does not hold alone.
    The id's place is its first line."""
    found = []
    def cut(text: str) -> bool:  # ends in a country prefix and digits that are no id alone
        return any(not vat_ids_in(text[m.start() :], ocr=ocr) for m in _CUT_ID_RE.finditer(text))

    for cell, below in cells_going_on(pages, cut, _ID_GOES_ON_RE, reach=1):
        alone = {value for _, value in vat_ids_in(cell.text, ocr=ocr)}
        for offset, value in vat_ids_in(f"{cell.text} {below[0]}", ocr=ocr):
            if offset < len(cell.text) and value not in alone:
                found.append((cell.line, cell.start + offset, value))
    return found


def _place_of(places: dict, rows_of: dict, line: int, start: int) -> _Place | None:
    """The place of the cell of line that holds offset start."""
    for segment in rows_of.get(line, []):
        if segment.start <= start < segment.end:
            return places.get((segment.line, segment.start))
    return None


def _labels_in(labels, start: int, end: int, prefix: str, features: dict) -> None:
    for m in labels:
        if start <= m.start < end:
            features[f"{prefix}{m.field}"] = 1.0


def _label_features(labelled, index: int, place: _Place, start: int, rows_of: dict) -> dict[str, float]:
    """Labels and role words before the id: in its cell, earlier on its line, in the cell on its
    left, in the cell above it in its block."""
    item = labelled[index]
    segment = place.segment
    features: dict[str, float] = {}
    _labels_in(item.labels, segment.start, start, "cell:", features)
    _labels_in(item.labels, 0, segment.start, "line:", features)
    if not item.text[segment.start : start].strip():
        features["cell_starts"] = 1.0
    found = words.heading(segment.text)
    if found:
        features[f"cell_heading:{found[0]}"] = 1.0
    for role in words.mentions(item.text):
        features[f"line_{role}"] = 1.0
    row = rows_of.get(segment.line, [])
    left = next((s for s in reversed(row) if s.x1 <= segment.x0), None)
    if left is not None:
        _labels_in(item.labels, left.start, left.end, "left:", features)
        role = words.heading_cell(left.text)
        if role:
            features[f"left_heading:{role}"] = 1.0
    position = place.block.segments.index(segment)
    if position:
        above = place.block.segments[position - 1]
        _labels_in(labelled[above.line].labels, above.start, above.end, "above:", features)
    return features


_ROLE_SOURCES = {
    "customer": ("block_heading:bill_to", "column_role:bill_to", "cell_heading:bill_to", "left_heading:bill_to",
                 "in_customer_zone", "cell:customer_vat_id", "left:customer_vat_id", "line:customer_vat_id",
                 "above:customer_vat_id", "cell:customer", "left:customer", "above:customer"),
    "seller": ("block_heading:seller", "column_role:seller", "cell_heading:seller", "left_heading:seller",
               "cell:seller", "left:seller", "above:seller"),
}
"""Whatever says whose the id is: a heading over its block or column, a label before it ("N° TVA client")."""


def _role_said(features: dict[str, float]) -> dict[str, float]:
    """role_said:<role> when any source names the id's party, so that what the training documents
    teach through one source (a bill-to heading) counts for another (a customer VAT label that they
    seldom print)."""
    return {f"role_said:{role}": 1.0 for role, sources in _ROLE_SOURCES.items() if any(f in features for f in sources)}


def _context_features(place: _Place, headings: list) -> dict[str, float]:
    """The role word heading the id's block (a heading cell in the block above the id, else one
    just above the block) and its column."""
    segment = place.segment
    role = None
    for s in place.block.segments:
        if s is segment:
            break
        role = words.heading_cell(s.text) or role
    role = role or _heading_above(place.block, headings)
    column = _column_role(segment, None, headings)
    return {f"block_heading:{role or 'none'}": 1.0, f"column_role:{column or 'none'}": 1.0}


def _party_features(place: _Place, names: dict[str, _Place | None]) -> dict[str, float]:
    """Where the id lies against each party's name: the same block, the same column under it, the
    same line, how near; which name is nearer."""
    segment = place.segment
    features: dict[str, float] = {}
    distances: dict[str, float] = {}
    for role, name in names.items():
        if name is None:
            features[f"no_name:{role}"] = 1.0
            continue
        if name.page != place.page:
            features[f"name_other_page:{role}"] = 1.0
            continue
        em = max(segment.em, 1.0)
        if name.block is place.block:
            features[f"same_block:{role}"] = 1.0
        if name.segment.line == segment.line:
            features[f"name_line:{role}"] = 1.0
        down = (segment.top - name.segment.top) / em
        overlap = min(segment.x1, name.block.x1) - max(segment.x0, name.block.x0)
        if overlap > 0 and 0 < down <= COLUMN_REACH_EM:
            features[f"same_column:{role}"] = 1.0
        if down < 0:
            features[f"above_name:{role}"] = 1.0
        across = ((segment.x0 + segment.x1) - (name.segment.x0 + name.segment.x1)) / 2 / em
        distances[role] = math.hypot(across, down)
        features[f"near:{role}"] = max(0.0, 1.0 - distances[role] / NEAR_EM)
    if len(distances) == 2:
        nearer = min(distances, key=distances.get)
        features[f"nearer:{nearer}"] = 1.0
    return features


def _names_in_block(place: _Place, names: dict[str, PartyName | None]) -> dict[str, float]:
    """Whether the id's block prints a party's name anywhere (a legal footer that names the seller
    again, not only where the name was chosen)."""
    texts = [f" {words.name_key(s.text)} " for s in place.block.segments]
    features = {}
    for role, name in names.items():
        key = words.name_key(name.name) if name else ""
        if key and any(f" {key} " in text for text in texts):
            features[f"name_in_block:{role}"] = 1.0
    return features


def _page_features(place: _Place, page: PageText) -> dict[str, float]:
    segment = place.segment
    top = segment.top / (page.height or 842.0)
    middle_x = (segment.x0 + segment.x1) / 2 / (page.width or 595.0)
    vertical = "top" if top < 0.2 else "upper" if top < 0.4 else "footer" if top >= _FOOTER_TOP else "middle"
    horizontal = "left" if middle_x < 0.4 else "right" if middle_x > 0.6 else "centre"
    return {f"zone:{vertical}": 1.0, f"zone:{horizontal}": 1.0, f"zone:{vertical}_{horizontal}": 1.0,
            "page_later": float(page.index > 0)}


def _document_features(found: list[VatCandidate]) -> None:
    """What the id's other places and the document's other ids say: printed again, the first or
    the only id, its country shared with another id or not; also:<feature> for what its other
    places carry."""
    by_value: dict[str, list[VatCandidate]] = defaultdict(list)
    for candidate in found:
        by_value[candidate.value].append(candidate)
    values = list(by_value)
    countries = {value: re.match(r"[A-Z]+", value).group(0) for value in values}
    for value, same in by_value.items():
        others = [v for v in values if v != value]
        carried = {f for c in same for f in c.features if f.startswith(_ALSO_PREFIXES)}
        for candidate in same:
            f = candidate.features
            f["repeated"] = min(len(same) - 1, 3) / 3
            if len(values) == 1:
                f["only_id"] = 1.0
            if value == values[0]:
                f["first_id"] = 1.0
            if candidate is same[0]:
                f["first_place"] = 1.0
            if any(countries[v] == countries[value] for v in others):
                f["country_shared"] = 1.0
            elif others:
                f["country_alone"] = 1.0
            for feature in carried:
                if feature not in f:
                    f[f"also:{feature}"] = 1.0
