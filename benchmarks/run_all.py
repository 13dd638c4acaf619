"""Every performance figure in one command, each measured side by side with its reference in the same run:

- scanned: scanned one-page invoices through `serve` (batch-upload), bare Tesseract on the same pages two at
  a time (its own CLI, 300 DPI, OMP_THREAD_LIMIT=1), in alternating rounds; then the original design
  (benchmarks/original_design.py) on the same files, once; and the fields read right;
- born-digital: 1,000 born-digital files as one ZIP through `serve` with its defaults
  (benchmarks/born_digital_rate.py), and the original design on 20 of the same files;
- queue: no-op jobs drained by 1, 2 and 8 runner processes, and by PgQueuer with as many processes
  (benchmarks/pgqueuer_compare.py, PgQueuer in a virtual environment of its own);
- memory: a runner's process tree at 1, 2 and 4 threads, and one 10- and one 1,000-page PDF
  (benchmarks/runner_memory.py).

    .venv/bin/python benchmarks/run_all.py [--sections scanned born-digital queue memory] [--quick]
        [--json benchmarks/last_run.json] [--readme]

Prints a table of ratios and writes every figure as JSON. --readme writes the table into README.md between
its two run_all markers, so that the README's performance section is the last run's output. --quick runs
smaller sizes (a smoke run: its figures are not for the README). Asserts nothing."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import batch_upload  # noqa: E402
import born_digital_rate  # noqa: E402
import original_design  # noqa: E402
import pgqueuer_compare  # noqa: E402
import runner_memory  # noqa: E402


README = ROOT / "README.md"
BEGIN = "<!-- benchmarks/run_all.py: begin -->"
END = "<!-- benchmarks/run_all.py: end -->"
SECTIONS = ("scanned", "born-digital", "queue", "memory")
SIZES = {
    # section: (full run, --quick)
    "scanned_files": (10, 3),
    "scanned_rounds": (3, 1),
    "born_digital_files": (1000, 100),
    "original_sample": (20, 3),
    "queue_jobs": (5000, 1000),
}


def scanned(files: int, rounds: int, threads: int = 2, max_workers: int = 4) -> dict:
    """Our scanned batch and bare Tesseract on the same pages, alternating, `rounds` times
    (batch_upload.scanned_rounds); then the original design on the same files once."""
    with tempfile.TemporaryDirectory(prefix="ip-run-all-") as tmp:
        folder = Path(tmp)
        (folder / "warm").mkdir()
        warm_up = batch_upload.make_files(folder / "warm", 1, scanned=False)
        specs = batch_upload.make_files(folder, files, scanned=True)
        images = batch_upload.bare_images(specs, folder, os.environ.get("OCR_LANGUAGES", "auto"))
        with batch_upload.serving(folder, threads) as url:
            batch_upload.upload(url, list(warm_up), max_workers)  # imports, first connections
            done = batch_upload.scanned_rounds(url, specs, images, rounds, max_workers)
        for number, timed in enumerate(done, 1):
            print(f"scanned, round {number}: ours {timed['ours']:.2f} s, bare Tesseract {timed['bare']:.2f} s")
        original = original_design.measure(list(specs))
        print(f"scanned: original design {original['seconds']:.2f} s", flush=True)
    right, total = done[-1]["fields"]
    return {
        "files": files, "rounds": rounds, "threads": threads,
        "ours_s": [t["ours"] for t in done], "bare_tesseract_s": [t["bare"] for t in done],
        "original_design_s": original["seconds"],
        "ratio_to_bare": statistics.median(t["ours"] / t["bare"] for t in done),
        "fields_right": right, "fields": total,
    }


def born_digital(files: int, sample: int) -> dict:
    """The 1,000-file ZIP through serve, then the original design on `sample` of the same files."""
    ours = born_digital_rate.run(files=files)
    print(f"born-digital: ours {ours['files_per_s']} files/s", flush=True)
    archive, _ = born_digital_rate.zipped_documents(files, 0.2, 0.1)
    with tempfile.TemporaryDirectory(prefix="ip-run-all-") as tmp, zipfile.ZipFile(archive) as zf:
        names = sorted(name for name in zf.namelist() if name.endswith(".pdf"))
        step = max(1, len(names) // sample)
        paths = []
        for name in names[::step][:sample]:
            path = Path(tmp) / name.replace("/", "-")
            path.write_bytes(zf.read(name))
            paths.append(path)
        original = original_design.measure(paths)
    original_rate = len(paths) / original["seconds"]
    print(f"born-digital: original design {original_rate:.2f} files/s on {len(paths)} of them", flush=True)
    return {"ours": ours, "original_design": {**original, "files_per_s": original_rate}}


def table(figures: dict) -> list[tuple[str, str, str, str]]:
    """(measure, ours, reference, ratio) rows."""
    rows = []
    if "scanned" in figures:
        s = figures["scanned"]
        ours = statistics.median(s["ours_s"])
        rows.append((f"{s['files']} scanned pages, s (median of {s['rounds']})", f"{ours:.2f}",
                     f"bare Tesseract {statistics.median(s['bare_tesseract_s']):.2f}", f"{s['ratio_to_bare']:.2f}"))
        rows.append((f"{s['files']} scanned pages, s", f"{ours:.2f}",
                     f"original design {s['original_design_s']:.2f}", f"{ours / s['original_design_s']:.2f}"))
        rows.append(("scanned: fields exact", f"{s['fields_right']}/{s['fields']}", "", ""))
    if "born-digital" in figures:
        b = figures["born-digital"]
        ours, theirs = b["ours"]["files_per_s"], b["original_design"]["files_per_s"]
        cpu = sum(b["ours"]["cpu_ms_per_file"].values())
        rows.append((f"{b['ours']['files']} born-digital files (ZIP), files/s", f"{ours:.1f}",
                     f"original design {theirs:.2f}", f"{ours / theirs:.0f}"))
        rows.append(("born-digital: CPU ms per file (all processes)", f"{cpu:.1f}", "", ""))
    if "queue" in figures:
        for row in figures["queue"]["rows"]:
            rows.append((f"no-op jobs/s, {row['processes']} process(es)", f"{row['ours_jobs_s']:.0f}",
                         f"PgQueuer {row['pgqueuer_jobs_s']:.0f}", f"{row['ratio']:.2f}"))
    if "memory" in figures:
        for threads, m in figures["memory"]["threads"].items():
            rows.append((f"runner memory, {threads} thread(s), peak MiB (PSS)", f"{m['peak_mib']}", "", ""))
        for pages, m in figures["memory"]["pages"].items():
            rows.append((f"one {pages}-page PDF, peak MiB (PSS)", f"{m['peak_mib']}", "", ""))
    return rows


def markdown(figures: dict) -> str:
    lines = [
        f"Last run: {figures['when']}, commit {figures['commit']}, {figures['cpus']} CPUs "
        f"(`.venv/bin/python benchmarks/run_all.py --readme`; every figure in `benchmarks/last_run.json`).",
        "",
        "| measure | ours | reference | ratio |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {' | '.join(row)} |" for row in table(figures)]
    return "\n".join(lines)


def write_readme(text: str) -> None:
    readme = README.read_text()
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    README.write_text(readme[:start] + "\n" + text + "\n" + readme[end:])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "last_run.json")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args(argv)
    size = {name: values[1 if args.quick else 0] for name, values in SIZES.items()}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    figures: dict = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit.stdout.strip() or "unknown",
        "cpus": os.cpu_count(), "machine": platform.platform(), "quick": args.quick,
    }
    started = time.monotonic()
    if "scanned" in args.sections:
        figures["scanned"] = scanned(size["scanned_files"], size["scanned_rounds"])
    if "born-digital" in args.sections:
        figures["born-digital"] = born_digital(size["born_digital_files"], size["original_sample"])
    if "queue" in args.sections:
        figures["queue"] = pgqueuer_compare.compare(jobs=size["queue_jobs"], processes=[1, 2, 8])
    if "memory" in args.sections:
        figures["memory"] = runner_memory.main(["--threads", "1", "2", "4", "--pages", "10", "1000"])
    figures["seconds"] = round(time.monotonic() - started)
    text = markdown(figures)
    print("\n" + text)
    args.json.write_text(json.dumps(figures, indent=2, default=str))
    print(f"\nfigures: {args.json}")
    if args.readme:
        if args.quick:
            sys.exit("--readme takes a full run's figures, not --quick ones")
        write_readme(text)
        print(f"table written into {README}")
    return figures


if __name__ == "__main__":
    main()
