"""Scan cleanup that must stay pixel for pixel what it was: the despeckling median filter."""

import random

import pytest
from PIL import Image, ImageFilter

from invoice_reader.pdf_text import PdfFile
from invoice_reader.scan_cleanup import despeckle, median3
from tests.pdf_factory import SCAN_DPI, make_scanned_invoice


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (5, 1), (7, 5), (64, 33)])
def test_median3_equals_pillows_median_filter_on_noise_edges_included(size):
    rng = random.Random(size[0] * 100 + size[1])
    image = Image.new("L", size)
    image.putdata([rng.randrange(256) for _ in range(size[0] * size[1])])
    assert median3(image).tobytes() == image.filter(ImageFilter.MedianFilter(3)).tobytes()


def test_despeckle_of_a_speckled_scan_equals_pillows_median_filter(tmp_path):
    path = tmp_path / "speckled.pdf"
    make_scanned_invoice(path, salt_and_pepper=0.02)
    with PdfFile.open(path) as pdf:
        page = pdf.render_page(0, SCAN_DPI).convert("L")
    assert despeckle(page).tobytes() == page.filter(ImageFilter.MedianFilter(3)).tobytes()
