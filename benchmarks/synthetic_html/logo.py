"""Small company logos drawn with PIL and embedded as data: URIs: a shape with initials, or a
wordmark where the trade name is only in the image (no text layer for it)."""

from __future__ import annotations

import base64
import io
import random
import unicodedata

from PIL import Image, ImageDraw, ImageFont

PALETTE = ["#1f4e79", "#c0392b", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#37474f", "#ad1457", "#283593"]


DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"  # fonts-dejavu-core, which fontconfig pulls in


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.truetype(DEJAVU_BOLD, size)  # has the accented capitals (É, Ü, ...)
    except OSError:
        pass
    try:
        return ImageFont.load_default(size=size)  # Pillow's own scalable font (needs FreeType; ASCII letters)
    except (TypeError, OSError):  # pragma: no cover - old Pillow without FreeType
        return ImageFont.load_default()


def initials(name: str) -> str:
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    parts = [p for p in folded.replace("&", " ").split() if p[:1].isascii() and p[:1].isalpha()]
    return "".join(p[0] for p in parts[:2]).upper() or "X"


def draw_logo(rng: random.Random, name: str, *, wordmark: bool, color: str | None = None) -> tuple[str, int, int]:
    """(data URI of a PNG, width, height in CSS px); wordmark=True writes `name` into the image."""
    color = color or rng.choice(PALETTE)
    scale = 3  # drawn large, shown small: crisp when printed
    if wordmark:
        font = _font(28 * scale)
        probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
        left, top, right, bottom = probe.textbbox((0, 0), name, font=font)
        mark = 40 * scale
        width, height = mark + 14 * scale + (right - left), max(mark, bottom - top) + 8 * scale
    else:
        width = height = 56 * scale
        mark = width
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    shape = rng.choice(["circle", "square", "ring", "diamond", "bars"])
    box = (2 * scale, (height - mark) // 2 + 2 * scale, mark - 2 * scale, (height + mark) // 2 - 2 * scale)
    if shape == "circle":
        draw.ellipse(box, fill=color)
    elif shape == "square":
        draw.rounded_rectangle(box, radius=8 * scale, fill=color)
    elif shape == "ring":
        draw.ellipse(box, outline=color, width=6 * scale)
    elif shape == "diamond":
        x0, y0, x1, y1 = box
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
        draw.polygon([(cx, y0), (x1, cy), (cx, y1), (x0, cy)], fill=color)
    else:
        x0, y0, x1, y1 = box
        step = (x1 - x0) // 4
        for i in range(3):
            draw.rectangle((x0 + i * step + step // 4, y0 + (2 - i) * step // 2, x0 + i * step + step, y1), fill=color)
    text_color = color if shape in ("ring", "bars") else "white"
    if shape != "bars":
        font = _font(int(mark * 0.36))
        letters = initials(name)
        l, t, r, b = draw.textbbox((0, 0), letters, font=font)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        draw.text((cx - (r - l) / 2 - l, cy - (b - t) / 2 - t), letters, font=font, fill=text_color)
    if wordmark:
        font = _font(28 * scale)
        l, t, r, b = draw.textbbox((0, 0), name, font=font)
        draw.text((mark + 10 * scale - l, (height - (b - t)) / 2 - t), name, font=font, fill=color)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    uri = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
    return uri, width // scale, height // scale
