"""Log lines (invoice_processor/logs.py): each names the job it was logged for, also when a thread of the process
writes them (background), and none is lost when the process exits."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import logging, threading, uuid
from invoice_processor.logs import configure_logging, job_context
configure_logging(background={background})
log = logging.getLogger("job_runner")

def job(n):
    with job_context(f"job-{{n}}", "batch-1"):
        for i in range(100):
            log.info("line %d of job %d", i, n)
        try:
            raise ValueError("the file is broken")
        except ValueError:
            log.exception("failed")

threads = [threading.Thread(target=job, args=(n,)) for n in range(4)]
for t in threads: t.start()
for t in threads: t.join()
for i in range(3000):  # still queued when the interpreter exits
    log.info("last %d", i)
log.warning("outside any job")
"""


def _lines(background: bool) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(background=background)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    return done.stderr.splitlines()


def test_a_background_writer_writes_every_line_with_its_job_before_the_process_exits():
    for background in (False, True):
        lines = _lines(background)
        for n in range(4):
            mine = [line for line in lines if f"job_id=job-{n} batch_id=batch-1: " in line]
            expected = [f"line {i} of job {n}" for i in range(100)] + ["failed"]
            assert [line.split(": ", 1)[1] for line in mine] == expected
        # The traceback follows its line; a line logged outside any job names none.
        assert sum("ValueError: the file is broken" in line for line in lines) == 4
        assert [line.split(": ", 1)[1] for line in lines if ": last " in line] == [f"last {i}" for i in range(3000)]
        assert lines[-1].endswith("WARNING job_runner: outside any job"), lines[-3:]
