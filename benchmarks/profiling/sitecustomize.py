"""cProfile for every Python process of a served benchmark (benchmarks/born_digital_rate.py --profile):
on PYTHONPATH with IP_PROFILE_DIR set, each process, each of its threads and each process forked from
it (the forkserver's document workers) is profiled, and writes <pid>-<thread>.prof into that folder
when it exits. Python imports this module at start-up by its name; without IP_PROFILE_DIR it does nothing."""

import os

if os.environ.get("IP_PROFILE_DIR"):
    import atexit
    import cProfile
    import sys
    import threading

    _folder = os.environ["IP_PROFILE_DIR"]
    _profiles: list[tuple[str, cProfile.Profile]] = []
    _lock = threading.Lock()

    def _start(name: str) -> None:
        profile = cProfile.Profile()
        with _lock:
            _profiles.append((name, profile))
        profile.enable()

    def _thread_started(frame, event, arg):  # threading.setprofile: the first call in each new thread
        sys.setprofile(None)
        _start(threading.current_thread().name)

    def _dump() -> None:
        with _lock:
            profiles, _profiles[:] = list(_profiles), []
        program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
        for index, (name, profile) in enumerate(profiles):
            try:
                profile.create_stats()
                if profile.stats:
                    profile.dump_stats(os.path.join(_folder, f"{program}-{os.getpid()}-{index:03d}-{name}.prof"))
            except Exception:  # noqa: BLE001 - a benchmark aid: a profile that cannot be written is left out
                pass

    def _forked() -> None:
        # A forked child (a document worker): its parent's profiles are not its own.
        with _lock:
            _profiles[:] = []
        _start("main")
        import multiprocessing.util

        # multiprocessing children leave through os._exit, after their finalizers, without atexit.
        multiprocessing.util.Finalize(None, _dump, exitpriority=100)

    threading.setprofile(_thread_started)
    os.register_at_fork(after_in_child=_forked)
    atexit.register(_dump)
    _start("main")
