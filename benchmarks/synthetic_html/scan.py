"""Born-digital PDF -> image-only PDF that looks scanned, copied or faxed.

Each page is rendered at 200 or 300 dpi and damaged with a seeded random mix of: greyscale or
colour, paper tint and uneven lighting, skew up to ±3°, slight blur, sensor noise, photocopy
streaks and dark edges, a fax look (binarised at 204 × 98 or 204 × 196 dpi, then blown back up), JPEG
artefacts, and a page turned 90° or 180°. What was applied is returned for the labels.
"""

from __future__ import annotations

import io
import random

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter


def scan_pdf(pdf: bytes, rng: random.Random) -> tuple[bytes, dict]:
    fax = rng.random() < 0.15
    info = {
        "dpi": 200 if fax else rng.choice([200, 300, 300]),
        "greyscale": fax or rng.random() < 0.75,
        "skew_deg": round(rng.uniform(-3, 3), 2),
        "blur_px": round(rng.uniform(0.3, 1.2), 2) if rng.random() < 0.6 and not fax else 0.0,
        "noise": round(rng.uniform(2, 14), 1) if rng.random() < 0.8 and not fax else 0.0,
        "jpeg_quality": rng.randint(18, 70) if rng.random() < 0.6 and not fax else None,
        "streaks": rng.randint(1, 6) if rng.random() < 0.3 else 0,
        "dark_edges": rng.random() < 0.25,
        "fax": fax,
        "fax_dpi": [204, rng.choice([98, 196])] if fax else None,
        "rotation": rng.choices([0, 90, 180], weights=[86, 7, 7])[0],
    }
    seed = rng.getrandbits(32)
    noise_rng = np.random.default_rng(seed)
    images = []
    document = pdfium.PdfDocument(pdf)
    try:
        for page in document:
            image = page.render(scale=info["dpi"] / 72, grayscale=info["greyscale"]).to_pil()
            page.close()
            images.append(_damage(image.convert("L" if info["greyscale"] else "RGB"), info, noise_rng))
    finally:
        document.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=info["dpi"], save_all=True, append_images=images[1:])
    return out.getvalue(), info


def _damage(image: Image.Image, info: dict, rng: np.random.Generator) -> Image.Image:
    dpi = info["dpi"]
    a = np.asarray(image).astype(np.float32)
    h, w = a.shape[:2]
    # Paper tint and uneven lighting (a soft gradient across the page).
    tint = rng.uniform(0.88, 1.0)
    gradient = np.linspace(rng.uniform(0.9, 1.0), rng.uniform(0.9, 1.0), w, dtype=np.float32)[None, :]
    light = (tint * gradient)[..., None] if a.ndim == 3 else tint * gradient
    a = 255 - (255 - a) * rng.uniform(0.85, 1.05)  # ink density
    a = a * light
    if info["dark_edges"]:
        band = int(w * rng.uniform(0.01, 0.03))
        ramp = np.linspace(0.35, 1.0, band, dtype=np.float32)
        mask = np.ones(w, dtype=np.float32)
        mask[:band] = ramp
        mask[-band:] = ramp[::-1]
        a = a * (mask[None, :, None] if a.ndim == 3 else mask[None, :])
    for _ in range(info["streaks"]):  # photocopier drum marks: thin vertical lines, broken in places
        x = int(rng.integers(0, w))
        width = int(rng.integers(1, max(2, dpi // 100 + 2)))
        level = rng.uniform(60, 180)
        on = rng.random(h) < rng.uniform(0.6, 1.0)
        cols = slice(x, min(w, x + width))
        if a.ndim == 3:
            a[on, cols, :] = np.minimum(a[on, cols, :], level)
        else:
            a[on, cols] = np.minimum(a[on, cols], level)
    image = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if info["fax"]:
        fx, fy = info["fax_dpi"]
        low = image.resize((max(1, w * fx // dpi), max(1, h * fy // dpi)), Image.BILINEAR)
        threshold = rng.uniform(120, 170)
        low = low.point(lambda v: 255 if v > threshold else 0)
        specks = Image.fromarray(((rng.random((low.height, low.width)) < 0.0015) * 255).astype(np.uint8))
        low = Image.fromarray(np.where(np.asarray(specks) > 0, 0, np.asarray(low)).astype(np.uint8))
        image = low.resize((w, h), Image.NEAREST)
    image = image.rotate(
        info["skew_deg"],
        resample=Image.BILINEAR,
        expand=False,
        fillcolor=(255 if image.mode == "L" else (255, 255, 255)),
    )
    if info["blur_px"]:
        image = image.filter(ImageFilter.GaussianBlur(info["blur_px"]))
    if info["noise"]:
        a = np.asarray(image).astype(np.float32)
        a += rng.normal(0, info["noise"], a.shape).astype(np.float32)
        specks = rng.random(a.shape[:2]) < 0.0008
        a[specks] = 40
        image = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if info["jpeg_quality"]:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=info["jpeg_quality"])
        image = Image.open(io.BytesIO(buffer.getvalue()))
        image.load()
    if info["rotation"]:
        image = image.rotate(info["rotation"], expand=True)
    return image
