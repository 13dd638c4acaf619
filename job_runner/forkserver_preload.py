"""What the forkserver that starts the document workers imports first (DocumentWorkers names this module as
its preload). The forkserver is in the runner's process group, so a stop signal sent to the whole group
would reach it too; if it died, every worker it started would look dead to the runner (exit status 255)
while still reading. It ignores SIGINT and SIGTERM, and the workers it forks start that way until they
install their own handling (job_runner.processes.ignore_stop_signals). The runner stops it by exiting.
Then it loads the pipeline, and OpenCV for scans, once, for every worker to share."""

import signal

from job_runner.processes import STOP_SIGNALS

for _signum in STOP_SIGNALS:
    signal.signal(_signum, signal.SIG_IGN)

import invoice_reader  # noqa: E402,F401
from invoice_reader import scan_cleanup  # noqa: E402

scan_cleanup.opencv()  # loaded here once for the workers to share, not by each worker at its first scan
