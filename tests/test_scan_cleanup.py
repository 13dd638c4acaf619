"""Scan cleanup: the despeckling median filter, which must stay pixel for pixel what it was, and the box of a
page that holds its ink."""

import random

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from invoice_reader.pdf_text import PdfFile
from invoice_reader.scan_cleanup import CONTENT_MARGIN_IN, content_box, despeckle
from tests.pdf_factory import SCAN_DPI, make_scanned_invoice


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (5, 1), (7, 5), (64, 33)])
def test_despeckle_equals_pillows_median_filter_on_noise_edges_included(size):
    rng = random.Random(size[0] * 100 + size[1])
    image = Image.new("L", size)
    image.putdata([rng.randrange(256) for _ in range(size[0] * size[1])])
    assert despeckle(image).tobytes() == image.filter(ImageFilter.MedianFilter(3)).tobytes()


def test_despeckle_of_a_speckled_scan_equals_pillows_median_filter(tmp_path):
    path = tmp_path / "speckled.pdf"
    make_scanned_invoice(path, salt_and_pepper=0.02)
    with PdfFile.open(path) as pdf:
        page = pdf.render_page(0, SCAN_DPI).convert("L")
    assert despeckle(page).tobytes() == page.filter(ImageFilter.MedianFilter(3)).tobytes()


def test_content_box_is_the_ink_with_a_margin_and_ignores_specks():
    image = Image.new("L", (2480, 3508), 245)
    draw = ImageDraw.Draw(image)
    draw.text((400, 300), "INVOICE 2024-117", fill=0, font_size=60)
    draw.rectangle((300, 2900, 2000, 2960), fill=20)  # a dark band near the foot
    ink_left, ink_top, ink_right, ink_bottom = ImageChops.invert(image).point(lambda v: 255 if v > 100 else 0).getbbox()
    rng = random.Random(7)
    for _ in range(3000):  # isolated specks all over the page, margins included
        image.putpixel((rng.randrange(2480), rng.randrange(3508)), 0)
    left, top, right, bottom = content_box(image, SCAN_DPI)
    margin = CONTENT_MARGIN_IN * SCAN_DPI
    # Found at a quarter of the resolution: within 4 pixels of the ink, a margin around it.
    assert (left, top) == (pytest.approx(ink_left - margin, abs=4), pytest.approx(ink_top - margin, abs=4))
    assert (right, bottom) == (pytest.approx(ink_right + margin, abs=4), pytest.approx(ink_bottom + margin, abs=4))
    assert content_box(Image.new("L", (850, 1100), 255), 100) is None
    # Ink at the edge: the box stops at the image.
    draw.rectangle((0, 0, 40, 40), fill=0)
    assert content_box(image, SCAN_DPI)[:2] == (0, 0)


def test_runs_finds_every_run_a_quarter_longer_than_a_rule_whole_and_never_a_shorter_one():
    from invoice_reader.scan_cleanup import _runs

    rng = random.Random(3)
    length = 38
    rows = []
    for _ in range(400):  # each row: ink runs of random lengths between gaps wider than a quarter rule
        row, expected = [], []
        while len(row) < 600:
            gap, run = rng.randrange(length // 4 + 1, 30), rng.randrange(1, 80)
            row += [0] * gap + [255] * run
            expected += [None] * gap + [("whole" if run >= 1.25 * length else "never" if run < length else None)] * run
        rows.append((row[:600], expected[:600]))
    mask = np.array([row for row, _ in rows], np.uint8)
    found = _runs(mask, length)
    for y, (row, expected) in enumerate(rows):
        for x, what in enumerate(expected):
            # A run cut by the row's end is shorter than drawn: only its pixels' ink is checked there.
            if x > 600 - 1.25 * length - 1:
                assert found[y, x] <= row[x]
            elif what == "whole":
                assert found[y, x] == 255, (y, x)
            elif what == "never":
                assert found[y, x] == 0, (y, x)
            else:
                assert found[y, x] <= row[x]
