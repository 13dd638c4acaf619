"""HTML for each template family and variant: plain string building, no template engine.

Every variant draws its own fonts (the DejaVu faces Chromium finds on Debian), sizes, accent
colour, table style (ruled, lines, zebra, borderless, cards), meta style (label: value rows,
label-above-value cells, a boxed grid), footer placement (repeated on every page or once at the
end) and block order from the document's random stream, so the same seed gives the same HTML.
"""

from __future__ import annotations

import html
import random

from benchmarks.synthetic_html.model import Doc, Page, Party, Table

FONTS = {
    "sans": "'DejaVu Sans', Arial, sans-serif",
    "condensed": "'DejaVu Sans Condensed', 'DejaVu Sans', sans-serif",
    "serif": "'DejaVu Serif', 'Times New Roman', serif",
    "mono": "'DejaVu Sans Mono', 'Courier New', monospace",
}
ACCENTS = ["#1f4e79", "#b03a2e", "#1e8449", "#6c3483", "#d35400", "#117a65", "#2c3e50", "#a93226", "#283593", "#00695c"]


def esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def lines_html(lines: list[str], first_bold: bool = False) -> str:
    out = []
    for i, line in enumerate(lines):
        text = esc(line)
        out.append(f"<b>{text}</b>" if first_bold and i == 0 else text)
    return "<br>".join(out)


class Style:
    def __init__(self, rng: random.Random, doc: Doc):
        self.rng = rng
        variant = doc.variant
        prefer = {
            "erp-sap": ["condensed", "sans", "mono"],
            "erp-odoo": ["sans", "sans", "condensed"],
            "webapp-stripe": ["sans"],
            "webapp-zoho": ["sans", "condensed"],
            "webapp-cards": ["sans"],
            "word-letterhead": ["serif", "serif", "sans"],
            "word-modern": ["sans", "serif"],
            "word-grid": ["serif", "sans", "mono"],
            "receipt-thermal": ["mono", "mono", "condensed"],
        }.get(variant, ["sans", "condensed", "serif"])
        self.font_key = rng.choice(prefer)
        self.font = FONTS[self.font_key]
        base = {
            "erp-sap": (7.5, 9),
            "webapp-stripe": (9.5, 11),
            "webapp-cards": (9.5, 11),
            "receipt-thermal": (8, 9.5),
        }.get(variant, (8.5, 10.5))
        self.size = round(rng.uniform(*base) * 2) / 2
        self.accent = rng.choice(ACCENTS)
        default_table = {
            "erp-sap": "ruled",
            "erp-odoo": "lines",
            "webapp-stripe": "borderless",
            "webapp-zoho": "zebra",
            "webapp-cards": "cards",
            "word-letterhead": "ruled",
            "word-modern": "zebra",
            "word-grid": "ruled",
        }.get(variant, "lines")
        self.table = default_table if rng.random() < 0.7 else rng.choice(["ruled", "lines", "zebra", "borderless"])
        self.meta = rng.choice(["rows", "rows", "cells", "box"])
        self.footer_fixed = rng.random() < 0.65
        self.page_numbers = rng.random() < 0.2 and doc.page_label
        margin = rng.choice([10, 12, 15, 18, 20])
        self.margins = (
            margin,
            rng.choice([12, 15, 18, 20]),
            margin + rng.choice([0, 2, 5]),
            rng.choice([12, 15, 18, 20, 25]),
        )
        self.letter = doc.language == "en" and rng.random() < 0.5 and variant.startswith("webapp")


# -- blocks ----------------------------------------------------------------------------------------


def title_html(doc: Doc, style: Style, tag: str = "h1", extra: str = "") -> str:
    if not doc.title:
        return ""
    text = doc.title
    css = ""
    if doc.letter_spaced:
        if text.isupper() and len(text) <= 16 and style.rng.random() < 0.5:
            text = " ".join(text.replace(" ", "\u2003"))  # 'I N V O I C E'
        else:
            css = "letter-spacing:0.35em;"
    return f'<{tag} class="title" style="{css}{extra}">{esc(text)}</{tag}>'


def logo_html(doc: Doc, height: int = 46) -> str:
    if not doc.logo:
        return ""
    uri, w, h = doc.logo
    width = round(w * height / h)
    return f'<img class="logo" src="{uri}" style="height:{height}px;width:{width}px" alt="">'


def seller_html(doc: Doc, name_size: float = 1.25) -> str:
    parts = []
    if doc.seller_name:
        parts.append(
            f'<div class="seller-name" style="font-size:{name_size}em;font-weight:bold">{esc(doc.seller_name)}</div>'
        )
    if doc.seller_lines:
        parts.append(f'<div class="seller-lines">{lines_html(doc.seller_lines)}</div>')
    return "".join(parts)


def party_html(party: Party, style: Style, boxed: bool = False) -> str:
    heading = f'<div class="ph">{esc(party.heading)}</div>' if party.heading else ""
    box = "border:1px solid #bbb;padding:6px 8px;" if boxed else ""
    return f'<div class="party {party.role}" style="{box}">{heading}<div>{lines_html(party.lines, first_bold=style.rng.random() < 0.5)}</div></div>'


def parties_html(doc: Doc, style: Style, boxed: bool = False, sender: bool = True) -> str:
    cells = []
    for i, party in enumerate(doc.parties):
        inner = party_html(party, style, boxed)
        if sender and doc.sender_line and i == 0:
            inner = f'<div class="sender">{esc(doc.sender_line)}</div>' + inner
        cells.append(
            f'<td style="width:{100 // max(1, len(doc.parties))}%;vertical-align:top;padding-right:14px">{inner}</td>'
        )
    return f'<table class="parties" style="width:100%;margin:8px 0 12px"><tr>{"".join(cells)}</tr></table>'


def meta_html(meta: list[tuple[str, str]], style: Style, mode: str | None = None, align_right: bool = False) -> str:
    mode = mode or style.meta
    if not meta:
        return ""
    if mode == "cells":
        cells = "".join(
            f'<td style="padding:3px 14px 3px 0;vertical-align:top"><div class="ml">{esc(k)}</div><div class="mv nowrap">{esc(v)}</div></td>'
            for k, v in meta
        )
        return f'<table class="meta cells" style="margin:6px 0 10px"><tr>{cells}</tr></table>'
    border = "border:1px solid #999;" if mode == "box" else ""
    rows = "".join(
        f'<tr><td class="ml" style="padding:1px 10px 1px 4px;{border}">{esc(k)}</td><td class="mv nowrap" style="padding:1px 4px;{border}{"text-align:right;" if align_right else ""}">{esc(v)}</td></tr>'
        for k, v in meta
    )
    return f'<table class="meta {mode}" style="margin:4px 0 10px{";margin-left:auto" if align_right else ""}">{rows}</table>'


def items_html(table: Table | None, style: Style, kind: str | None = None) -> str:
    if table is None or not table.rows:
        return ""
    kind = kind or style.table
    title = f'<div class="tt">{esc(table.title)}</div>' if table.title else ""
    if kind == "cards":
        return title + cards_html(table)
    cls = f"items {kind}"
    head = "".join(
        f'<th class="{"num" if c in table.numeric else ""}">{esc(table.headers.get(c, ""))}</th>' for c in table.columns
    )
    body = []
    for row in table.rows:
        if "_section" in row:
            body.append(
                f'<tr class="section"><td colspan="{len(table.columns)}"><b>{esc(row["_section"][0])}</b></td></tr>'
            )
            continue
        cells = []
        for c in table.columns:
            value = row.get(c, [""])
            if c == "designation":
                text = esc(value[0]) + "".join(f'<br><span class="sub">{esc(v)}</span>' for v in value[1:])
            else:
                text = "<br>".join(esc(v) for v in value)
            align = ""
            if table.numbers_on_top:
                align = f' style="vertical-align:{table.designation_align if c == "designation" else "top"}"'
            cells.append(f'<td class="{"num" if c in table.numeric else ""}"{align}>{text}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    closing = ""
    if table.closing:
        rows = []
        for i, (label, value) in enumerate(table.closing):
            weight = "bold" if i == len(table.closing) - 1 else "normal"
            rows.append(
                f'<tr class="closing"><td colspan="{len(table.columns) - 1}" style="text-align:right;font-weight:{weight}">{esc(label)}</td><td class="num" style="font-weight:{weight}">{esc(value)}</td></tr>'
            )
        closing = "".join(rows)
    show_head = any(table.headers.get(c) for c in table.columns)
    thead = f"<thead><tr>{head}</tr></thead>" if show_head else ""
    return f'{title}<table class="{cls}">{thead}<tbody>{"".join(body)}{closing}</tbody></table>'


def cards_html(table: Table) -> str:
    out = []
    for row in table.rows:
        if "_section" in row:
            out.append(f'<div class="card-section">{esc(row["_section"][0])}</div>')
            continue
        designation = row.get("designation", [""])
        detail = []
        quantity = row.get("qty", [""])[0]  # none on a row of a discount or a charge
        if "qty" in table.columns and quantity:
            detail.append(f"{quantity} × {row['price'][0]}" if "price" in table.columns else quantity)
        if "unit" in table.columns and row.get("unit"):
            detail[-1:] = [f"{detail[-1]} {row['unit'][0]}"] if detail else [row["unit"][0]]
        if "discount" in table.columns and row.get("discount", [""])[0]:
            detail.append(f"{table.headers.get('discount', '').replace('%', '').strip()} {row['discount'][0]}")
        if "vat" in table.columns and row["vat"][0]:
            vat_header = table.headers.get("vat", "").replace("%", "").strip()
            detail.append(row["vat"][0] if row["vat"][0].startswith(vat_header) else f"{vat_header} {row['vat'][0]}")
        subs = "".join(f'<div class="sub">{esc(v)}</div>' for v in designation[1:])
        out.append(
            '<div class="card"><div class="card-main">'
            f'<div class="card-title">{esc(designation[0])}</div>{subs}'
            f'<div class="card-detail">{esc(" · ".join(detail))}</div></div>'
            f'<div class="card-amount">{esc(row.get("total", [""])[0])}</div></div>'
        )
    return f'<div class="cards">{"".join(out)}</div>'


def totals_html(doc: Doc, style: Style, width: str = "45%", boxed: bool = False) -> str:
    if not doc.totals:
        return ""
    rows = []
    for i, (label, value) in enumerate(doc.totals):
        strong = i in doc.emphasise
        cls = "tot strong" if strong else "tot"
        rows.append(f'<tr class="{cls}"><td class="tl">{esc(label)}</td><td class="num tv">{esc(value)}</td></tr>')
    border = "border:1px solid #888;" if boxed else ""
    return f'<table class="totals" style="width:{width};{border}">{"".join(rows)}</table>'


def summary_html(doc: Doc, style: Style) -> str:
    if not doc.summary:
        return ""
    rows = []
    for i, (label, value) in enumerate(doc.summary):
        last = i == len(doc.summary) - 1
        css = f"font-weight:bold;font-size:1.25em;border-top:2px solid {style.accent};" if last else ""
        rows.append(
            f'<tr><td style="padding:3px 8px;{css}">{esc(label)}</td><td class="num" style="padding:3px 8px;{css}">{esc(value)}</td></tr>'
        )
    return (
        f'<div class="summary" style="border:2px solid {style.accent};border-radius:6px;margin:10px 0;break-inside:avoid">'
        f'<div style="background:{style.accent};color:white;padding:4px 8px;font-weight:bold">{esc(doc.summary_title)}</div>'
        f'<table style="width:100%">{"".join(rows)}</table></div>'
    )


def hero_html(doc: Doc, style: Style) -> str:
    if not doc.hero:
        return ""
    amount, text = doc.hero
    return f'<div class="hero" style="margin:14px 0 18px"><span style="font-size:2em;font-weight:bold" class="nowrap">{esc(amount)}</span> <span style="font-size:1.3em;color:#555">{esc(text)}</span></div>'


def notes_html(doc: Doc) -> str:
    if not doc.notes:
        return ""
    return '<div class="notes">' + "".join(f"<p>{esc(n)}</p>" for n in doc.notes) + "</div>"


def intro_html(doc: Doc) -> str:
    return "".join(f'<p class="intro">{esc(p)}</p>' for p in doc.intro)


def body_html(doc: Doc) -> str:
    return "".join(f'<p class="body">{esc(p)}</p>' for p in doc.body)


def payment_html(doc: Doc, style: Style, boxed: bool = False) -> str:
    if not doc.payment:
        return ""
    box = f"border:1px solid {style.accent};padding:6px 8px;" if boxed else ""
    return f'<div class="payment" style="{box}margin:8px 0;break-inside:avoid"><div class="ph">{esc(doc.payment_title)}</div>{lines_html(doc.payment)}</div>'


def vat_html(doc: Doc, style: Style) -> str:
    if doc.vat_table is None:
        return ""
    return f'<div class="vat" style="margin:8px 0;max-width:70%">{items_html(doc.vat_table, style, "ruled" if style.table in ("ruled", "grid") else "lines")}</div>'


def tables_html(doc: Doc, style: Style) -> str:
    return "".join(f'<div style="margin:10px 0">{items_html(t, style, "lines")}</div>' for t in doc.tables)


def footer_html(doc: Doc, style: Style) -> str:
    if not doc.footer:
        return ""
    if style.rng.random() < 0.5 and len(doc.footer) > 2:
        cells = "".join(f'<td style="vertical-align:top;padding-right:10px">{esc(line)}</td>' for line in doc.footer)
        inner = f'<table style="width:100%"><tr>{cells}</tr></table>'
    else:
        inner = "<br>".join(esc(line) for line in doc.footer)
    align = "center" if style.rng.random() < 0.5 else "left"
    return f'<div class="foot" style="text-align:{align}">{inner}</div>'


def extra_page_html(page: Page, style: Style) -> str:
    parts = [f'<div class="pb"><h2>{esc(page.title)}</h2>']
    parts += [f"<p>{esc(p)}</p>" for p in page.paragraphs]
    if page.table:
        parts.append(items_html(page.table, style, "lines"))
    parts.append("</div>")
    return "".join(parts)


# -- CSS ---------------------------------------------------------------------------------------------


def css(doc: Doc, style: Style, page_size: str, footer_mm: int) -> str:
    top, right, bottom, left = style.margins
    a = style.accent
    page_numbers = ""
    if style.page_numbers:
        label = doc.page_label.replace("{n}", '" counter(page) "').replace("{m}", '" counter(pages) "')
        page_numbers = (
            f'@bottom-right {{ content: "{label}"; font-size: 7pt; color: #666; font-family: {style.font}; }}'
        )
    table_css = {
        "ruled": ".items th, .items td { border: 1px solid #888; padding: 3px 5px; } .items th { background: #e8e8e8; }",
        "lines": f".items th {{ border-bottom: 2px solid {a}; padding: 4px 5px; text-align: left; }} .items td {{ border-bottom: 1px solid #ddd; padding: 4px 5px; }}",
        "zebra": f".items th {{ background: {a}; color: white; padding: 4px 5px; text-align: left; }} .items td {{ padding: 4px 5px; }} .items tbody tr:nth-child(even) td {{ background: #f0f2f5; }}",
        "borderless": ".items th { color: #777; font-weight: normal; text-transform: uppercase; font-size: 0.8em; padding: 6px 5px; text-align: left; } .items td { padding: 6px 5px; }",
    }
    return f"""
@page {{ size: {page_size}; margin: {top}mm {right}mm {bottom}mm {left}mm; {page_numbers} }}
* {{ box-sizing: border-box; }}
html, body {{ margin: 0; padding: 0; }}
body {{ font-family: {style.font}; font-size: {style.size}pt; color: #1d1d1d; line-height: 1.3; }}
table {{ border-collapse: collapse; }}
.page {{ width: 100%; }}
.page > tbody > tr > td, .page > tfoot > tr > td {{ padding: 0; }}
h1.title {{ font-size: 1.9em; margin: 6px 0 8px; color: {a}; }}
h2 {{ font-size: 1.3em; margin: 4px 0 8px; }}
.items {{ width: 100%; margin: 8px 0; }}
.items thead {{ display: table-header-group; }}
.items tr {{ break-inside: avoid; }}
.items th {{ text-align: left; }}
.items th.num {{ text-align: right; }}
.items .section td {{ background: #f4f4f4; padding-top: 6px; }}
.num {{ text-align: right; white-space: nowrap; }}
.nowrap {{ white-space: nowrap; }}
.sub {{ color: #666; font-size: {doc.sub_size}; }}
.ph {{ font-weight: bold; color: {a}; font-size: 0.85em; text-transform: uppercase; margin-bottom: 2px; }}
.ml {{ color: #555; }}
.mv {{ font-weight: bold; }}
.sender {{ font-size: 0.7em; text-decoration: underline; color: #444; margin-bottom: 4px; }}
.tt {{ font-weight: bold; margin-top: 8px; }}
.totals {{ margin-left: auto; margin-top: 6px; break-inside: avoid; }}
.totals td {{ padding: 2px 6px; }}
.totals .strong td {{ font-weight: bold; font-size: 1.12em; border-top: 1.5px solid #333; }}
.notes p, .intro, .body {{ margin: 4px 0; }}
.foot {{ font-size: 7pt; color: #555; border-top: 1px solid #bbb; padding-top: 3px; }}
.pb {{ break-before: page; }}
.cards {{ margin: 8px 0; }}
.card {{ display: flex; justify-content: space-between; border: 1px solid #e2e2e2; border-radius: 6px; padding: 8px 10px; margin: 6px 0; break-inside: avoid; }}
.card-title {{ font-weight: bold; }}
.card-detail {{ color: #666; font-size: 0.9em; margin-top: 2px; }}
.card-amount {{ font-weight: bold; white-space: nowrap; padding-left: 12px; }}
.card-section {{ font-weight: bold; margin-top: 10px; color: {a}; }}
{table_css.get(style.table, table_css["lines"])}
.vat .items th, .vat .items td {{ font-size: 0.9em; }}
{".foot { position: fixed; bottom: 0; left: 0; right: 0; }" if style.footer_fixed else ".foot { margin-top: 16px; }"}
"""


def wrap(doc: Doc, style: Style, content: str, page_size: str = "A4", with_footer: bool = True) -> str:
    footer = footer_html(doc, style) if with_footer else ""
    lines = max(1, len(doc.footer) if footer and "<table" not in footer else 2)
    footer_mm = 4 + 4 * lines
    pages = "".join(extra_page_html(p, style) for p in doc.pages)
    if style.footer_fixed and footer:
        body = (
            f'{footer}<table class="page"><tfoot><tr><td><div style="height:{footer_mm}mm"></div></td></tr></tfoot>'
            f"<tbody><tr><td>{content}{pages}</td></tr></tbody></table>"
        )
    else:
        body = f"{content}{footer}{pages}"
    return (
        f'<!DOCTYPE html><html lang="{doc.language}"><head><meta charset="utf-8"><title>{esc(doc.title or "document")}</title>'
        f"<style>{css(doc, style, page_size, footer_mm)}</style></head><body>{body}</body></html>"
    )


# -- variants ---------------------------------------------------------------------------------------


def _row(*cells: tuple[str, str]) -> str:
    """A full-width layout row: (html, css for the cell)."""
    tds = "".join(f'<td style="vertical-align:top;{css_}">{inner}</td>' for inner, css_ in cells)
    return f'<table style="width:100%"><tr>{tds}</tr></table>'


def _tail(doc: Doc, style: Style) -> str:
    """Totals, VAT table, notes and payment, in a drawn order."""
    rng = style.rng
    totals = totals_html(doc, style)
    vat = vat_html(doc, style)
    blocks = [totals + vat] if rng.random() < 0.6 else [vat + totals]
    payment = payment_html(doc, style, boxed=rng.random() < 0.4)
    notes = notes_html(doc)
    if rng.random() < 0.5:
        blocks += [notes, payment]
    else:
        blocks += [payment, notes]
    return "".join(blocks)


def erp_sap(doc: Doc, style: Style) -> str:
    rng = style.rng
    meta_box = meta_html(doc.meta, style, mode="box")
    title = title_html(doc, style, "h1", "font-size:1.5em;margin:0 0 4px")
    head_left = logo_html(doc, 40) + seller_html(doc, 1.15)
    head_right = f'<div style="border:1.5px solid #333;padding:6px 8px">{title}{meta_box}</div>'
    header = _row((head_left, "width:52%"), (head_right, "width:48%"))
    parts = [
        header,
        parties_html(doc, style, boxed=rng.random() < 0.5),
        intro_html(doc),
        body_html(doc),
        hero_html(doc, style),
    ]
    parts += [tables_html(doc, style), items_html(doc.items, style), _tail(doc, style)]
    return "".join(parts)


def erp_odoo(doc: Doc, style: Style) -> str:
    rng = style.rng
    header = _row(
        (logo_html(doc, 44), "width:50%"),
        (f'<div style="text-align:right;color:#555">{seller_html(doc, 1.05)}</div>', "width:50%"),
    )
    header += '<div style="border-bottom:1px solid #ccc;margin:6px 0 10px"></div>'
    parties = [party_html(p, style) for p in doc.parties]
    if doc.sender_line:
        parties[0] = f'<div class="sender">{esc(doc.sender_line)}</div>' + parties[0]
    party_cells = [(p, "width:50%;padding-bottom:10px") for p in parties]
    if len(party_cells) == 1:
        party_cells.insert(0, ("", "width:50%"))  # the customer on the right, as Odoo prints it
    number_in_title = rng.random() < 0.6 and doc.title and doc.meta and doc.items is not None
    meta = doc.meta
    title_doc = doc
    if number_in_title:
        title_doc = Doc(**{**doc.__dict__, "title": f"{doc.title} {doc.meta[0][1]}", "letter_spaced": False})
        meta = doc.meta[1:]
    parts = [
        header,
        _row(*party_cells),
        title_html(title_doc, style, "h2", f"color:{style.accent};font-size:1.6em"),
        meta_html(meta, style, mode="cells"),
    ]
    parts += [intro_html(doc), body_html(doc), tables_html(doc, style), items_html(doc.items, style), _tail(doc, style)]
    return "".join(parts)


def webapp_stripe(doc: Doc, style: Style) -> str:
    header = _row(
        (title_html(doc, style, "h1", "font-size:2.2em;color:#111"), ""),
        (f'<div style="text-align:right">{logo_html(doc, 48)}</div>', ""),
    )
    meta = meta_html(doc.meta, style, mode="rows")
    seller = f"<div>{seller_html(doc, 1.0)}</div>"
    cells = [(seller, "width:34%")] + [(party_html(p, style), "width:33%") for p in doc.parties]
    parts = [
        header,
        meta,
        _row(*cells),
        hero_html(doc, style),
        intro_html(doc),
        body_html(doc),
        tables_html(doc, style),
    ]
    parts += [items_html(doc.items, style), _tail(doc, style)]
    return f'<div style="padding:4mm 2mm">{"".join(parts)}</div>'


def webapp_zoho(doc: Doc, style: Style) -> str:
    a = style.accent
    title = title_html(doc, style, "h1", "color:white;margin:0;font-size:2em")
    band = _row(
        (
            f'{logo_html(doc, 40)}<div style="color:white">{seller_html(doc, 1.2)}</div>',
            f"background:{a};padding:10px;color:white",
        ),
        (title, f"background:{a};padding:10px;text-align:right;vertical-align:middle"),
    )
    due_box = ""
    if doc.hero:
        due_box = f'<div style="border:1px solid {a};padding:8px;text-align:right"><div style="color:#555">{esc(doc.hero[1])}</div><div style="font-size:1.6em;font-weight:bold" class="nowrap">{esc(doc.hero[0])}</div></div>'
    top = _row(
        (parties_html(doc, style), "width:60%"),
        (meta_html(doc.meta, style, mode="rows", align_right=True) + due_box, "width:40%"),
    )
    parts = [
        band,
        '<div style="height:10px"></div>',
        top,
        intro_html(doc),
        body_html(doc),
        tables_html(doc, style),
        items_html(doc.items, style),
        _tail(doc, style),
    ]
    return "".join(parts)


def webapp_cards(doc: Doc, style: Style) -> str:
    rng = style.rng
    header = _row(
        (logo_html(doc, 40) + seller_html(doc, 1.1), "width:55%"),
        (
            title_html(doc, style, "h1", "text-align:right")
            + meta_html(doc.meta, style, mode="rows", align_right=True),
            "width:45%",
        ),
    )
    blocks = [parties_html(doc, style, boxed=True), hero_html(doc, style)]
    if rng.random() < 0.5:
        blocks.reverse()
    parts = [
        header,
        *blocks,
        intro_html(doc),
        body_html(doc),
        tables_html(doc, style),
        items_html(doc.items, style),
        _tail(doc, style),
    ]
    return "".join(parts)


def word_letterhead(doc: Doc, style: Style) -> str:
    rng = style.rng
    name = (
        f'<div style="font-size:1.8em;font-weight:bold;letter-spacing:0.05em">{esc(doc.seller_name)}</div>'
        if doc.seller_name
        else ""
    )
    lines = f'<div style="color:#444">{esc(" · ".join(doc.seller_lines))}</div>' if doc.seller_lines else ""
    head = f'<div style="text-align:center">{logo_html(doc, 44)}{name}{lines}</div><div style="border-bottom:3px double #333;margin:8px 0 12px"></div>'
    title = title_html(doc, style, "h1", "text-align:center;color:#111")
    left = parties_html(doc, style)
    right = meta_html(doc.meta, style, align_right=True)
    body = _row((left, "width:58%"), (right, "width:42%")) if rng.random() < 0.7 else left + right
    parts = [
        head,
        title,
        body,
        intro_html(doc),
        body_html(doc),
        tables_html(doc, style),
        items_html(doc.items, style),
        _tail(doc, style),
    ]
    return "".join(parts)


def word_modern(doc: Doc, style: Style) -> str:
    a = style.accent
    name = (
        f'<div style="font-size:2em;font-weight:bold;color:{a}">{esc(doc.seller_name)}</div>'
        if doc.seller_name
        else logo_html(doc, 52)
    )
    header = _row(
        (name + f'<div style="color:#555">{lines_html(doc.seller_lines)}</div>', "width:60%"),
        (
            title_html(doc, style, "h1", "text-align:right;font-size:2.4em;color:#222")
            + (logo_html(doc, 36) if doc.seller_name else ""),
            "width:40%;text-align:right",
        ),
    )
    bar = f'<div style="height:5px;background:{a};margin:6px 0 12px"></div>'
    top = _row((parties_html(doc, style), "width:62%"), (meta_html(doc.meta, style), "width:38%"))
    parts = [
        header,
        bar,
        top,
        intro_html(doc),
        body_html(doc),
        tables_html(doc, style),
        items_html(doc.items, style),
        _tail(doc, style),
    ]
    return "".join(parts)


def word_grid(doc: Doc, style: Style) -> str:
    box = "border:1px solid #555;padding:6px 8px;vertical-align:top"
    seller = logo_html(doc, 36) + seller_html(doc, 1.2)
    right = title_html(doc, style, "h1", "margin:0 0 4px") + meta_html(doc.meta, style, mode="rows")
    grid = f'<table style="width:100%;border-collapse:collapse"><tr><td style="{box};width:50%">{seller}</td><td style="{box}">{right}</td></tr>'
    parties = [party_html(p, style) for p in doc.parties]
    if doc.sender_line and parties:
        parties[0] = f'<div class="sender">{esc(doc.sender_line)}</div>' + parties[0]
    grid += (
        "<tr>"
        + "".join(f'<td style="{box}">{p}</td>' for p in parties[:2])
        + ("<td></td>" if len(parties) == 1 else "")
        + "</tr></table>"
    )
    extra = "".join(f'<div style="{box};margin-top:6px">{p}</div>' for p in parties[2:])
    parts = [
        grid,
        extra,
        intro_html(doc),
        body_html(doc),
        tables_html(doc, style),
        items_html(doc.items, style, "ruled"),
        _tail(doc, style),
    ]
    return "".join(parts)


def bill(doc: Doc, style: Style) -> str:
    """Utility, telecom and insurance bills: contact box, address window, summary box, details."""
    rng = style.rng
    contact = (
        f'<div style="border:1px solid #ccc;padding:6px 8px;font-size:0.9em">{lines_html(doc.seller_lines)}</div>'
        if doc.seller_lines
        else ""
    )
    head = _row(
        (
            logo_html(doc, 46)
            + (
                f'<div style="font-size:1.3em;font-weight:bold">{esc(doc.seller_name)}</div>' if doc.seller_name else ""
            ),
            "width:60%",
        ),
        (contact, "width:40%"),
    )
    window = parties_html(doc, style)
    meta = meta_html(doc.meta, style, mode=rng.choice(["rows", "box"]))
    top = _row((window, "width:55%;padding-top:14px"), (meta, "width:45%"))
    summary = summary_html(doc, style)
    details = [items_html(doc.items, style), totals_html(doc, style), vat_html(doc, style)]
    tables = tables_html(doc, style)
    after = [notes_html(doc), payment_html(doc, style, boxed=True)]
    title = title_html(doc, style)
    if doc.variant == "utility-details":
        heading = {
            "en": "Your charges in detail",
            "fr": "Détail de votre facture",
            "de": "Ihre Abrechnung im Detail",
            "nl": "Specificatie van uw kosten",
            "it": "Dettaglio degli importi",
            "es": "Detalle de su factura",
        }[doc.language]
        parts = [
            head,
            top,
            title,
            intro_html(doc),
            summary,
            tables,
            *after,
            f'<div class="pb"><h2>{esc(heading)}</h2>{"".join(details)}</div>',
        ]
    elif rng.random() < 0.5:
        parts = [head, top, title, intro_html(doc), summary, tables, *details, *after]
    else:
        parts = [head, top, title, intro_html(doc), *details, summary, tables, *after]
    return "".join(parts)


def receipt(doc: Doc, style: Style) -> str:
    rng = style.rng
    dash = '<div style="border-top:1px dashed #333;margin:4px 0"></div>'
    head = f'<div style="text-align:center">{logo_html(doc, 32)}<div style="font-size:1.3em;font-weight:bold">{esc(doc.seller_name or "")}</div>{lines_html(doc.seller_lines)}</div>'
    title = f'<div style="text-align:center;font-weight:bold;margin:6px 0">{esc(doc.title)}</div>'
    meta = "<br>".join(f"{esc(k)}: {esc(v)}" for k, v in doc.meta)
    parties = "".join(party_html(p, style) for p in doc.parties)
    rows = []
    for row in doc.items.rows:
        rows.append(
            f'<tr><td>{lines_html(row["designation"])}</td><td class="num" style="vertical-align:bottom">{esc(row["total"][0])}</td></tr>'
        )
    items = f'<table style="width:100%">{"".join(rows)}</table>'
    totals = "".join(
        f'<tr style="{"font-weight:bold;font-size:1.2em" if i in doc.emphasise else ""}"><td>{esc(k)}</td><td class="num">{esc(v)}</td></tr>'
        for i, (k, v) in enumerate(doc.totals)
    )
    vt = doc.vat_table
    vat_rows = "".join(
        "<tr>"
        + "".join(f'<td class="{"num" if c in vt.numeric else ""}">{esc(r[c][0])}</td>' for c in vt.columns)
        + "</tr>"
        for r in vt.rows
    )
    vat_head = (
        "<tr>"
        + "".join(f'<td class="{"num" if c in vt.numeric else ""}">{esc(vt.headers[c])}</td>' for c in vt.columns)
        + "</tr>"
    )
    vat = f'<div style="font-size:0.9em">{esc(vt.title)}<table style="width:100%">{vat_head}{vat_rows}</table></div>'
    order = [
        head,
        title if rng.random() < 0.7 else "",
        dash,
        meta,
        parties,
        dash,
        items,
        dash,
        f'<table style="width:100%">{totals}</table>',
        dash,
        vat,
        dash,
    ]
    if not order[1]:
        order.insert(4, title)
    foot = f'<div style="text-align:center;margin-top:6px">{lines_html(doc.footer)}</div>'
    return "".join(order) + foot


# The words of an e-invoice viewer's page (the XML of an EN 16931 invoice turned into HTML by a stylesheet):
# a banner of the viewer's own, then every party, the invoice's data and its totals in labelled boxes.
VIEW_WORDS = {
    "en": dict(banner="Electronic invoice (EN 16931) – human-readable view", seller="Seller", buyer="Buyer",
               delivery="Delivery address", name=("Name", "Trade name"), address="Address",
               seller_name=("Seller name", "Seller trade name"), buyer_name=("Buyer name", "Buyer trade name"),
               legal="Legal information", details="Invoice details", totals="Totals", payment="Payment"),
    "fr": dict(banner="Facture électronique (EN 16931) – représentation lisible", seller="Vendeur",
               buyer="Acheteur", delivery="Adresse de livraison", name=("Nom", "Raison sociale"), address="Adresse",
               seller_name=("Nom du vendeur", "Raison sociale du vendeur"), buyer_name=("Nom de l'acheteur",),
               legal="Mentions légales", details="Données de la facture", totals="Totaux", payment="Paiement"),
    "de": dict(banner="Elektronische Rechnung (EN 16931) – Sichtprüfung", seller="Verkäufer", buyer="Käufer",
               delivery="Lieferanschrift", name=("Name", "Handelsname"), address="Anschrift",
               seller_name=("Name des Verkäufers", "Handelsname des Verkäufers"), buyer_name=("Name des Käufers",),
               legal="Rechtliche Angaben", details="Rechnungsdaten", totals="Summen", payment="Zahlung"),
    "nl": dict(banner="Elektronische factuur (EN 16931) – leesbare weergave", seller="Verkoper", buyer="Koper",
               delivery="Afleveradres", name=("Naam", "Handelsnaam"), address="Adres", legal="Wettelijke gegevens",
               seller_name=("Naam verkoper", "Handelsnaam verkoper"), buyer_name=("Naam koper",),
               details="Factuurgegevens", totals="Totalen", payment="Betaling"),
    "it": dict(banner="Fattura elettronica (EN 16931) – rappresentazione leggibile", seller="Venditore",
               buyer="Acquirente", delivery="Indirizzo di consegna", name=("Nome", "Denominazione"),
               seller_name=("Denominazione venditore",), buyer_name=("Denominazione acquirente",),
               address="Indirizzo", legal="Dati legali", details="Dati della fattura", totals="Totali",
               payment="Pagamento"),
    "es": dict(banner="Factura electrónica (EN 16931) – representación legible", seller="Vendedor",
               buyer="Comprador", delivery="Dirección de entrega", name=("Nombre", "Razón social"),
               seller_name=("Nombre del vendedor", "Razón social del vendedor"), buyer_name=("Nombre del comprador",),
               address="Dirección", legal="Datos legales", details="Datos de la factura", totals="Totales",
               payment="Pago"),
}


def einvoice_view(doc: Doc, style: Style, seller_name: str) -> str:
    """An e-invoice viewer's page: seller_name is the seller's name in the XML (printed even when the
    document's own print shows it only in its logo). The party boxes label each line, the name too
    ("Name", "Seller trade name", in capitals or not); the banner at the top is the viewer's, not a party's."""
    rng = style.rng
    words = VIEW_WORDS[doc.language]
    upper = rng.random() < 0.35
    case = (lambda text: text.upper()) if upper else (lambda text: text)
    prefixed = rng.random() < 0.5  # "Seller trade name" rather than "Trade name" under the box's heading
    name_word = rng.choice(words["name"])
    seller_key, buyer_key = rng.choice(words["seller_name"]), rng.choice(words["buyer_name"])

    def box(heading: str, rows: list[tuple[str, str]]) -> str:
        cells = "".join(
            f'<tr><td class="ml" style="padding:2px 10px 2px 4px;width:38%;color:#444">{esc(case(label))}</td>'
            f'<td style="padding:2px 4px">{esc(value)}</td></tr>'
            for label, value in rows
        )
        return (
            f'<div style="border:1px solid #999;margin:0 0 8px;break-inside:avoid">'
            f'<div style="background:#e4e4e4;padding:3px 6px;font-weight:bold">{esc(case(heading))}</div>'
            f'<table style="width:100%">{cells}</table></div>'
        )

    def party_rows(key: str, name: str, lines: list[str], extra: list[str] = ()) -> list[tuple[str, str]]:
        rows = [(key if prefixed else name_word, name)]
        rows += [(words["address"] if i == 0 else "", line) for i, line in enumerate(lines)]
        rows += [(words["legal"] if i == 0 else "", line) for i, line in enumerate(extra)]
        return rows

    seller = box(words["seller"], party_rows(seller_key, seller_name, doc.seller_lines, doc.footer))
    buyer, other_boxes = "", []
    for party in doc.parties:
        name, *lines = party.lines or [""]
        if party.role == "bill_to" and not buyer:
            buyer = box(words["buyer"], party_rows(buyer_key, name, lines))
        else:
            other_boxes.append(box(party.heading or words["delivery"], [("", line) for line in party.lines]))
    parties = _row((seller, "width:50%;padding-right:6px"), (buyer, "width:50%;padding-left:6px"))
    details = box(words["details"], doc.meta)
    totals = box(words["totals"], doc.totals)
    payment = box(doc.payment_title or words["payment"], [("", line) for line in doc.payment]) if doc.payment else ""
    banner = (
        f'<div style="border-bottom:2px solid #555;color:#555;font-size:0.85em;padding-bottom:2px;margin-bottom:8px">'
        f"{esc(words['banner'])}</div>"
    )
    return "".join([
        banner,
        title_html(doc, style, "h1", "font-size:1.5em;margin:0 0 8px"),
        parties,
        "".join(other_boxes),
        details,
        summary_html(doc, style),
        hero_html(doc, style),
        intro_html(doc),
        body_html(doc),
        tables_html(doc, style),
        items_html(doc.items, style, "grid" if rng.random() < 0.5 else "ruled"),
        vat_html(doc, style),
        totals,
        payment,
        notes_html(doc),
    ])


VARIANT_RENDERERS = {
    "erp-sap": erp_sap,
    "erp-odoo": erp_odoo,
    "webapp-stripe": webapp_stripe,
    "webapp-zoho": webapp_zoho,
    "webapp-cards": webapp_cards,
    "word-letterhead": word_letterhead,
    "word-modern": word_modern,
    "word-grid": word_grid,
    "utility-summary": bill,
    "utility-details": bill,
    "telecom-sections": bill,
    "telecom-plain": bill,
    "insurance-letter": bill,
    "insurance-schedule": bill,
}


def render_html(
    doc: Doc, rng: random.Random, letter_size: bool = False, *, view_of: str | None = None
) -> tuple[str, Style]:
    """The whole HTML page for doc, and the style drawn for it. view_of: the seller's name, to print doc as an
    e-invoice viewer shows its XML (einvoice_view) instead of in its own variant."""
    style = Style(rng, doc)
    if view_of is not None:
        style.footer_fixed = False
        style.page_numbers = False
        return wrap(doc, style, einvoice_view(doc, style, view_of), "A4", with_footer=False), style
    if doc.family == "html-receipt":
        style.footer_fixed = False
        style.page_numbers = False
        content = receipt(doc, style)
        if doc.narrow:
            height = (
                110
                + 9 * sum(len(r["designation"]) for r in doc.items.rows)
                + 8 * len(doc.meta)
                + 10 * len(doc.parties)
                + 8 * len(doc.totals)
                + 8 * len(doc.vat_table.rows)
            )
            style.margins = (4, 4, 4, 4)
            return wrap(doc, style, content, f"80mm {height}mm", with_footer=False), style
        style.margins = (12, 14, 12, 14)
        return wrap(
            doc, style, f'<div style="max-width:110mm;margin:0 auto">{content}</div>', "A5", with_footer=False
        ), style
    content = VARIANT_RENDERERS[doc.variant](doc, style)
    return wrap(doc, style, content, "letter" if letter_size else "A4"), style
