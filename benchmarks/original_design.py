"""The reference we started from: the original Invoice Processor's design, rebuilt from its description
(pdf2image at 300 DPI, an OpenCV clean-up, pytesseract on every page, a thread per file), to time it on
the same files as ours. Its packages are not ours: they live in a virtual environment of their own,
made on first use (pip, from the package index).

    .venv/bin/python benchmarks/original_design.py FILE.pdf [FILE.pdf ...] [--languages fra+eng]

Prints the seconds it took to read every file, and the characters it read. The clean-up is our reading
of "OpenCV clean-up": grey, a 3-pixel median blur and Otsu's threshold, the usual recipe. Tesseract runs
as the original did, without OMP_THREAD_LIMIT."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENV = Path(tempfile.gettempdir()) / "ip-original-design-venv"
PACKAGES = ["pdf2image==1.17.0", "opencv-python-headless==5.1.0.95", "pytesseract==0.3.13", "numpy", "pillow"]


def environment() -> Path:
    """The Python of the original design's own virtual environment, made if missing."""
    python = VENV / "bin" / "python"
    if not (VENV / ".ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True)
        (VENV / ".ready").touch()
    return python


def measure(paths: list[Path], languages: str = "fra+eng") -> dict:
    """Reads the files the original way, in its own environment: {"seconds", "files", "characters"}."""
    env = {key: value for key, value in os.environ.items() if key != "OMP_THREAD_LIMIT"}
    done = subprocess.run(
        [str(environment()), __file__, "--inside", "--languages", languages, *map(str, paths)],
        check=True, capture_output=True, text=True, env=env,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _read_all(paths: list[str], languages: str) -> dict:
    """Runs inside the original design's environment: a thread per file, every page through OCR."""
    import threading

    import cv2
    import numpy
    import pytesseract
    from pdf2image import convert_from_path

    characters = [0] * len(paths)

    def read(index: int, path: str) -> None:
        for page in convert_from_path(path, dpi=300):
            grey = cv2.cvtColor(numpy.array(page), cv2.COLOR_RGB2GRAY)
            clean = cv2.threshold(cv2.medianBlur(grey, 3), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
            characters[index] += len(pytesseract.image_to_string(clean, lang=languages, config="--dpi 300"))

    started = time.perf_counter()
    threads = [threading.Thread(target=read, args=(i, path)) for i, path in enumerate(paths)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - started, "files": len(paths), "characters": sum(characters)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--languages", default="fra+eng")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        print(json.dumps(_read_all([str(path) for path in args.files], args.languages)))
        return
    figures = measure(args.files, args.languages)
    print(f"original design: {figures['files']} files in {figures['seconds']:.2f} s "
          f"({figures['characters']} characters read)")


if __name__ == "__main__":
    main()
