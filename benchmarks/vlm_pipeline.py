"""What Florence-2 adds to a scanned page's time in the pipeline, VLM_MODE off, fallback and always, side by side.

    .venv/bin/python benchmarks/vlm_pipeline.py [--device cpu|cuda] [--chars-per-token 3.5]

One synthetic scanned invoice page (the test suite's), read by process_document three ways in one run:
- off: OCR only;
- fallback: the same scan with its invoice number wiped off, so that fallback sends the band around the
  number's label (the usual fallback request: one band);
- always: the whole page.
The model is a base-sized Florence-2 with random weights, built offline (benchmarks/vlm_stage.py), in this
process. Random weights write garbage of any length, so each request is made to write as many tokens as a
real model would write for that image: `<OCR_WITH_REGION>` writes each text region as its text plus 8
location tokens, so the count is estimated from what OCR read in the region (cells x 8 + characters /
--chars-per-token, BART's byte-level BPE giving about 3-4 characters a token on invoice text). The
estimate is printed; the times are measured.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class ForcedLength:
    """Wraps FlorenceModel so that every image costs exactly the tokens given for its kind (page or band)."""

    def __init__(self, model, page_tokens: int, band_tokens: int):
        self.model = model
        self.tokens = {True: page_tokens, False: band_tokens}

    def ocr_with_region(self, images, max_new_tokens=1024):
        from invoice_reader.vlm_stage import PAGE_TOKENS

        tokens = self.tokens[max_new_tokens == PAGE_TOKENS]
        self.model._model.generation_config.min_new_tokens = tokens
        return self.model.ocr_with_region(images, max_new_tokens=tokens)


def estimate_tokens(lines, chars_per_token: float) -> int:
    cells = [cell for line in lines for cell in line.cells() if cell.strip()]
    return 8 * len(cells) + math.ceil(sum(len(cell) for cell in cells) / chars_per_token) + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--chars-per-token", type=float, default=3.5)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["OMP_THREAD_LIMIT"] = "1"

    import torch
    from PIL import Image

    from benchmarks.vlm_stage import save_random_florence
    from invoice_reader import ReadOptions, process_document
    from invoice_reader.pdf_text import PdfFile
    from invoice_reader.vlm_stage import BAND_ABOVE, BAND_BELOW
    from invoice_reader.vlm import FlorenceModel
    from tests import pdf_factory

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scan, no_number = tmp / "scan.pdf", tmp / "no-number.pdf"
        pdf_factory.make_scanned_invoice(scan, rotation_deg=0.0)
        twin = tmp / "twin.pdf"
        pdf_factory.make_text_invoice(twin)
        with PdfFile.open(twin) as pdf:
            lines = pdf.read_text_layer()[0].lines
        [number] = [line for line in lines if "Invoice No" in line.layout_text()]
        pdf_factory.erase_from_scan(
            scan, no_number, [(number.words[-1].x0 - 2, number.top - 3, 560, number.top + number.height + 3)]
        )
        top, bottom = number.top - BAND_ABOVE * number.height, number.top + number.height * (1 + BAND_BELOW)
        band_lines = [line for line in lines if top <= line.top and line.top + line.height <= bottom]
        page_tokens = estimate_tokens(lines, args.chars_per_token)
        band_tokens = estimate_tokens(band_lines, args.chars_per_token)

        folder = save_random_florence(tmp / "base", "base")
        rss_before = _rss_mib()
        model = FlorenceModel(str(folder), device=args.device)
        reader = ForcedLength(model, page_tokens, band_tokens)
        model.ocr_with_region([Image.new("L", (64, 64), 255)], max_new_tokens=2)  # load
        print(
            f"base-size Florence-2, random weights, {model.device}, torch threads {torch.get_num_threads()}, "
            f"beams {model.num_beams or (3 if model.device == 'cuda' else 1)}; estimated output: whole page "
            f"{page_tokens} tokens ({len(lines)} lines), band {band_tokens} tokens ({len(band_lines)} lines)"
        )
        runs = [
            ("off", scan, {}),
            ("fallback (one band)", no_number, {"vlm": reader, "options": ReadOptions(vlm_mode="fallback")}),
            ("always (whole page)", scan, {"vlm": reader, "options": ReadOptions(vlm_mode="always")}),
        ]
        print("| mode | total s | OCR s | model stage s | model share |")
        print("|---|---|---|---|---|")
        for name, path, options in runs:
            started = time.perf_counter()
            result = process_document(path, **options)
            total = time.perf_counter() - started
            stage = result.timings.get("vlm", 0.0)
            regions = result.vlm["regions"] if result.vlm else []
            assert (name == "off") == (not regions), (name, result.vlm)
            print(f"| {name} | {total:.1f} | {result.timings['ocr']:.1f} | {stage:.1f} | {100 * stage / total:.0f} % |")
        model.close()
        print(
            f"resident memory: {rss_before:.0f} MiB before the model, {_rss_mib():.0f} MiB after loading and the runs"
        )


def _rss_mib() -> float:
    """This process's resident memory now (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
