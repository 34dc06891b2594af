"""Run a long-lived child (`dagster dev`) so that stopping us stops it and everything it started.

Why: a service manager (systemd, supervisord, `docker stop`) and `kill` signal only the process
they know. With a plain `subprocess.call`, SIGTERM killed us and left `dagster dev` with its
webserver, daemon and code server running as orphans; SIGINT killed only `dagster dev` itself.
Here the child leads its own process group (a new session, so the terminal's Ctrl-C reaches it
once, through us); SIGTERM, SIGINT and SIGHUP to us are forwarded to that whole group, we wait
for the group to finish (bounded by a grace period) and then SIGKILL what is left. The exit
code is the child's (128+N when a signal N ended it, as a shell reports it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

# SIGHUP (the terminal went away) becomes SIGTERM: in its own session the child no longer gets
# the terminal's hangup, and `dagster dev` shuts down cleanly on SIGTERM, not on SIGHUP.
FORWARDED: dict[signal.Signals, signal.Signals] = {
    signal.SIGTERM: signal.SIGTERM,
    signal.SIGINT: signal.SIGINT,
    signal.SIGHUP: signal.SIGTERM,
}
DEFAULT_GRACE_SECONDS = 60.0


def exit_code(returncode: int) -> int:
    """A child ended by signal N (Popen's -N) exits 128+N, as a shell reports it."""
    return 128 - returncode if returncode < 0 else returncode


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_in_foreground(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> int:
    """Run command until it and its process group are done; returns the child's exit code.

    A stop signal is forwarded to the group and starts the grace period, after which what is
    left of the group is SIGKILLed. When the child exits on its own but leaves members of its
    group behind, those get SIGTERM and the grace period."""
    pgid: list[int] = []  # set once the child exists
    first_signal: list[float] = []  # monotonic time of the first stop signal
    pending: list[int] = []  # a signal that came before the child existed
    killer: list[threading.Timer] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        if not first_signal:
            first_signal.append(time.monotonic())
        if not pgid:
            pending.append(signum)  # forwarded as soon as the child exists
            return
        _signal_group(pgid[0], FORWARDED[signal.Signals(signum)])
        if not killer:  # the child may hang: kill the group at the end of the grace period
            timer = threading.Timer(grace_seconds, _signal_group, (pgid[0], signal.SIGKILL))
            timer.daemon = True
            killer.append(timer)
            timer.start()

    # Handlers first, so no signal between start and wait can kill us and orphan the child.
    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        child = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=None if env is None else dict(env),
            start_new_session=True,
        )
        pgid.append(child.pid)  # a new session: its process group id is its pid
        if pending:
            forward(pending[-1], None)
        returncode = child.wait()  # handlers run during the wait; waitpid is resumed after
        if first_signal:
            deadline = first_signal[0] + grace_seconds
        else:
            deadline = time.monotonic() + grace_seconds
            if _group_alive(child.pid):
                _signal_group(child.pid, signal.SIGTERM)
        _wait_for_group(child.pid, deadline)
    finally:
        for timer in killer:
            timer.cancel()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return exit_code(returncode)


def _wait_for_group(pgid: int, deadline: float) -> None:
    """The child has exited; members of its group (e.g. a code server still shutting down)
    may finish until the deadline, then the rest is SIGKILLed."""
    while _group_alive(pgid):
        if time.monotonic() >= deadline:
            _signal_group(pgid, signal.SIGKILL)
            return
        time.sleep(0.1)
