"""The role of each number of a line-item row, scored by learned models and decoded per row.

A row's numbers (its anchor line's and those of the lines attached to it) each get a log-odds per
role from the `line_cell_role` model: total (the line's amount), quantity, unit_price, vat_rate,
discount, or text (a number of the designation, '15 mm', 'pack of 100'). Its features: the header
column above the number, where it sits in the row, how it is printed (decimals, % sign,
currency), the arithmetic it takes part in with the other numbers of the row (a x b = c, with a
discount), and how its column runs over the other rows (aligned numbers; 10, 20, 30 position
numbers). The row is then decoded jointly: every choice of total, quantity, unit price and
discount among the best-scored numbers is scored by the `line_assignment` model from the roles'
log-odds and whether quantity x unit price (less the discount) gives the total, and the best
choice wins. A number with no role and no text odds is left out of the designation (position
numbers, item codes, tax amounts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .learned import LinearModel, load_model
from .row_features import TOLERANCE, in_text
from .table_rows import Cell, TableLine

ROLE_MODEL = "line_cell_role"
ASSIGNMENT_MODEL = "line_assignment"
ROLES = ("total", "quantity", "unit_price", "vat_rate", "discount", "text")
CHOICES = {"total": 2, "quantity": 2, "unit_price": 2, "discount": 1}
"""How many of the best-scored numbers each role of the joint decoding tries."""
PRUNE = 8.0
"""Log-odds below the role's best number past which a number is not tried for the role."""


@dataclass(slots=True)
class RowCell:
    """A number of a row, with the line that prints it."""

    line: TableLine
    cell: Cell
    on_anchor: bool


@dataclass(slots=True)
class Assignment:
    total: RowCell
    quantity: RowCell | None = None
    unit_price: RowCell | None = None
    discount: RowCell | None = None
    vat_rate: RowCell | None = None
    score: float = 0.0


@dataclass
class Columns:
    """The numbers of the anchor lines of a page's rows, by where they end, for the column
    features of a number: how many other rows print a number ending where it ends."""

    rows: int = 0
    ends: dict[int, set[int]] = field(default_factory=dict)
    """int(x1 / BUCKET) -> the rows with a number ending there."""

    def add(self, row: int, numbers: list[tuple[float, float]]) -> None:
        self.rows += 1
        for x1, _ in numbers:
            self.ends.setdefault(int(x1 // BUCKET), set()).add(row)

    def rows_at(self, x1: float, slack: float, exclude: int) -> int:
        found: set[int] = set()
        low, high = int((x1 - slack) // BUCKET), int((x1 + slack) // BUCKET)
        for bucket in range(low, high + 1):
            found |= self.ends.get(bucket, set())
        found.discard(exclude)
        return len(found)


BUCKET = 4.0


def row_contexts(lines: list[TableLine], anchors) -> dict[int, tuple[Columns, int, list[tuple[float, float]] | None]]:
    """Anchor line index -> what cell_features needs besides the row: its page's Columns, its key
    there, and the (x1, value) numbers of the row above it on its page (None for the first)."""
    pages: dict[int, Columns] = {}
    last: dict[int, list[tuple[float, float]]] = {}
    out = {}
    for anchor in sorted(anchors):
        info = lines[anchor]
        numbers = [(c.x1, float(c.value)) for c in info.cells]
        columns = pages.setdefault(info.page, Columns())
        columns.add(anchor, numbers)
        out[anchor] = (columns, anchor, last.get(info.page))
        last[info.page] = numbers
    return out


def cell_features(
    cells: list[RowCell],
    k: int,
    columns: Columns | None = None,
    row: int = -1,
    previous: list[tuple[float, float]] | None = None,
) -> dict[str, float]:
    """The features of cell k of the row's cells. columns: the numbers of the page's rows (row is
    this one's key there); previous: the (x1, value) numbers of the row just above."""
    rc = cells[k]
    cell, line = rc.cell, rc.line
    f: dict[str, float] = {}
    f["percent"] = float(cell.percent)
    f[f"dec_{min(cell.decimals, 3)}"] = 1.0
    f["money"] = float(cell.money)
    f["currency"] = float(cell.currency)
    f["negative"] = float(cell.value < 0)
    f[f"col_{cell.column or 'none'}"] = 1.0
    if cell.percent and cell.column:
        f[f"percent_col_{cell.column}"] = 1.0
    own = [c for c in line.cells]
    position = own.index(cell)
    f[f"rank_r{min(len(own) - 1 - position, 3)}"] = 1.0
    f["rank_l0"] = float(position == 0)
    f["first_word"] = float(cell.words[0] == 0)
    f["on_anchor"] = float(rc.on_anchor)
    width = max(1.0, line.x1 - line.x0)
    f["rel_x"] = (cell.x1 - line.x0) / width
    value = abs(cell.value)
    f["small_int"] = float(cell.decimals == 0 and not cell.money and value < 1000)
    f["large_int"] = float(cell.decimals == 0 and not cell.money and value >= 1000)
    f["under_1"] = float(value < 1)
    f["pct_le_30"] = float(cell.percent and value <= 30)
    f["times_after"] = float(cell.times_after)
    f["times_before"] = float(cell.times_before)
    words = line.line.words
    after = cell.words[-1] + 1
    if after < len(words):
        token = words[after].text.strip(".")
        f["word_after_short"] = float(token.isalpha() and len(token) <= 5)
    f["in_text"] = float(in_text(line, cell))
    f["letters_right"] = float(any(w.text[:1].isalpha() for w in words[after:]))
    f["letters_left"] = float(any(w.text[:1].isalpha() for w in words[: cell.words[0]]))
    money = [abs(c.cell.value) for c in cells if c.cell.money]
    f["max_money"] = float(cell.money and value >= max(money, default=0))
    _arithmetic(cells, k, f)
    slack = 0.6 * line.em
    if columns is not None and columns.rows > 1:
        f["column_rows"] = columns.rows_at(cell.x1, slack, row) / (columns.rows - 1)
    if previous and cell.decimals == 0 and not cell.percent:
        steps = {float(cell.value) - v for x1, v in previous if abs(x1 - cell.x1) <= slack}
        f["column_step"] = float(bool(steps & {1.0, 10.0}))
    return f


def _arithmetic(cells: list[RowCell], k: int, f: dict[str, float]) -> None:
    """What the number makes with the others: a product of two, a factor of one, a discount."""
    me = cells[k].cell
    mine = float(me.value)
    others = [(float(c.cell.value), c.cell) for i, c in enumerate(cells) if i != k and not c.cell.percent]
    rates = [float(c.cell.value) for i, c in enumerate(cells) if i != k and c.cell.percent and 0 < c.cell.value < 100]
    f["equals_other"] = float(any(v == mine for v, _ in others))
    if me.percent:
        if 0 < mine < 100:
            f["discount_rate"] = float(any(
                abs(a * b * (1 - mine / 100) - c) <= TOLERANCE
                for i, (a, _) in enumerate(others) for j, (b, _) in enumerate(others) if i < j
                for (c, cc) in others if cc.money and c != a and c != b
            ))
        return
    for i, (a, ca) in enumerate(others):
        for b, _ in others[i + 1 :]:
            product = a * b
            if me.money and abs(product - mine) <= TOLERANCE:
                f["product"] = 1.0
            elif me.money and any(abs(product * (1 - r / 100) - mine) <= TOLERANCE for r in rates):
                f["product_discounted"] = 1.0
        for c, cc in others:
            if cc is ca or not cc.money:
                continue
            if abs(mine * a - c) <= TOLERANCE:
                f["factor"] = 1.0
                if abs(mine) < abs(a):
                    f["factor_smaller"] = 1.0
            elif any(abs(mine * a * (1 - r / 100) - c) <= TOLERANCE for r in rates):
                f["factor_discounted"] = 1.0


def role_logits(model: LinearModel, features: dict[str, float]) -> dict[str, float]:
    """The log-odds of each role for one cell with these (unprefixed) features."""
    biases, table = _by_feature(model)
    totals = list(biases)
    for name, value in features.items():
        weights = table.get(name)
        if weights is not None and value:
            for r, weight in enumerate(weights):
                totals[r] += weight * value
    return dict(zip(ROLES, totals))


_split: dict[int, tuple[LinearModel, tuple]] = {}


def _by_feature(model: LinearModel) -> tuple[list[float], dict[str, tuple[float, ...]]]:
    """The role model's weights by feature: (each role's bias, feature -> each role's weight)."""
    known = _split.get(id(model))
    if known is None or known[0] is not model:
        biases = [model.bias + model.weights.get(f"{role}|bias", 0.0) for role in ROLES]
        table: dict[str, list[float]] = {}
        for name, weight in model.weights.items():
            role, _, feature = name.partition("|")
            if role in ROLES and feature != "bias":
                table.setdefault(feature, [0.0] * len(ROLES))[ROLES.index(role)] = weight
        known = _split[id(model)] = (model, (biases, {k: tuple(v) for k, v in table.items()}))
    return known[1]


def prefixed(role: str, features: dict[str, float]) -> dict[str, float]:
    """The features of one cell as an example of one role, for the role model."""
    out = {f"{role}|{name}": value for name, value in features.items() if value}
    out[f"{role}|bias"] = 1.0
    return out


def assignment_features(a: Assignment, logits: list[dict[str, float]], index: dict[int, int]) -> dict[str, float]:
    """The features of one joint choice of a row's roles. logits: per cell, per role; index maps
    id(RowCell) to its position."""
    f: dict[str, float] = {"l_total": logits[index[id(a.total)]]["total"]}
    t = float(a.total.cell.value)
    for role in ("quantity", "unit_price", "discount"):
        chosen = getattr(a, role)
        if chosen is None:
            f[f"no_{role}"] = 1.0
        else:
            f[f"l_{role}"] = logits[index[id(chosen)]][role]
    q = float(a.quantity.cell.value) if a.quantity else None
    p = float(a.unit_price.cell.value) if a.unit_price else None
    if q is not None and p is not None:
        product = q * p
        if abs(product - t) <= TOLERANCE:
            f["product"] = 1.0
        elif a.discount is not None and _discounted(product, a.discount.cell, t):
            f["product_discounted"] = 1.0
        else:
            f["product_fails"] = 1.0
        same_line = a.quantity.line is a.unit_price.line
        f["qty_left_of_price"] = float(a.quantity.cell.x1 <= a.unit_price.cell.x0 or not same_line)
    elif p is not None:
        f["price_is_total"] = float(abs(p - t) <= TOLERANCE)
    elif q is not None:
        f["qty_alone"] = 1.0
    if a.discount is not None and not f.get("product_discounted"):
        f["discount_unused"] = 1.0
    return f


def _discounted(product: float, discount: Cell, total: float) -> bool:
    d = float(discount.value)
    if discount.percent or discount.column == "discount":
        if 0 < d < 100 and abs(product * (1 - d / 100) - total) <= TOLERANCE:
            return True
    return discount.money and 0 < d < product and abs(product - d - total) <= TOLERANCE


def assignments(cells: list[RowCell], logits: list[dict[str, float]]) -> list[Assignment]:
    """The joint choices tried for a row: the best-scored numbers of each role, distinct; a discount
    only among numbers whose discount odds are positive."""
    plain = [i for i in range(len(cells)) if not cells[i].cell.percent]

    def best(role: str, exclude: tuple, pool: list[int]) -> list[int]:
        ranked = sorted((i for i in pool if i not in exclude), key=lambda i: -logits[i][role])[: CHOICES[role]]
        # A number far less likely than the best one is not tried (the joint score could not prefer it).
        return [i for i in ranked if logits[i][role] > logits[ranked[0]][role] - PRUNE] if ranked else ranked

    discounts = [i for i in range(len(cells)) if logits[i]["discount"] > 0]
    found = []
    for t in best("total", (), plain):
        for q in [None, *best("quantity", (t,), plain)]:
            for p in [None, *best("unit_price", (t, q), plain)]:
                for d in [None, *best("discount", (t, q, p), discounts)]:
                    found.append(Assignment(
                        cells[t],
                        cells[q] if q is not None else None,
                        cells[p] if p is not None else None,
                        cells[d] if d is not None else None,
                    ))
    return found


def decode_row(
    cells: list[RowCell], logits: list[dict[str, float]], model: LinearModel | None = None
) -> Assignment | None:
    """The best joint choice of the row's roles (None for a row without a number), with its VAT
    rate: the number most likely a rate among those left, when its odds are positive."""
    if not any(not c.cell.percent for c in cells):
        return None
    model = model or load_model(ASSIGNMENT_MODEL)
    index = {id(c): i for i, c in enumerate(cells)}
    best, best_score = None, -math.inf
    for a in assignments(cells, logits):
        features = assignment_features(a, logits, index)
        score = model.bias + sum(model.weights.get(n, 0.0) * v for n, v in features.items())
        if score > best_score:
            best, best_score = a, score
    best.score = best_score
    used = {id(c) for c in (best.total, best.quantity, best.unit_price, best.discount) if c is not None}
    rates = [i for i, c in enumerate(cells) if id(c) not in used and logits[i]["vat_rate"] > 0]
    if rates:
        best.vat_rate = cells[max(rates, key=lambda i: logits[i]["vat_rate"])]
    return best
