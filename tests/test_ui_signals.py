"""`regionomie ui` stops when a service manager stops it: SIGTERM or SIGINT to it reaches
`dagster dev` and its webserver, daemon and code server, and none of them outlives it.

Real processes only: the first test starts the real `regionomie ui` on a free port and checks
the whole process tree through /proc; the others run small Python stand-ins through the same
function to pin down the exit code and the SIGKILL after the grace period."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from regionomie.paths import REPO_ROOT

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

Proc = tuple[int, str]  # pid and its start time (a reused pid is another process)


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state is [0], ppid [1])."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def descendants(root: int) -> set[Proc]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[Proc] = set()
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if fields := _stat(pid):
            found.add((pid, fields[19]))
            todo += children.get(pid, [])
    return found


def alive(proc: Proc) -> bool:
    fields = _stat(proc[0])
    return fields is not None and fields[19] == proc[1] and fields[0] not in ("Z", "X")


def wait_until_gone(procs: set[Proc], timeout: float) -> set[Proc]:
    deadline = time.monotonic() + timeout
    while (left := {p for p in procs if alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def kill_leftovers(procs: set[Proc]) -> None:
    """Only the processes this test started (pid and start time checked), one by one."""
    for proc in procs:
        if alive(proc):
            try:
                os.kill(proc[0], signal.SIGKILL)
            except ProcessLookupError:
                pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def isolated_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
        REGIONOMIE_STATE_DIR=str(tmp_path / "state"),
        REGIONOMIE_ENV_FILE=str(tmp_path / ".env"),  # never the repository's .env
        PYTHONPATH=str(REPO_ROOT),  # this checkout's code in every process
        PYTHONUNBUFFERED="1",
    )
    return env


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_to_regionomie_ui_stops_dagster_dev_and_all_its_children(
    tmp_path: Path, sig: signal.Signals
) -> None:
    port = free_port()
    log = (tmp_path / "ui.log").open("w")
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from regionomie.cli import main; sys.exit(main(sys.argv[1:]))",
            "ui",
            "--port",
            str(port),
        ],
        cwd=REPO_ROOT,
        env=isolated_env(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    tree: set[Proc] = set()
    try:
        deadline = time.monotonic() + 120
        while not answers(f"http://127.0.0.1:{port}/server_info"):
            assert parent.poll() is None, (tmp_path / "ui.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the Dagster UI did not answer within 120 s"
            time.sleep(0.5)
        # dagster dev, webserver, daemon and the code server(s) they start
        deadline = time.monotonic() + 60
        while len(tree := descendants(parent.pid)) < 4 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(tree) >= 4, tree

        parent.send_signal(sig)
        try:
            returncode = parent.wait(timeout=100)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`regionomie ui` still running 100 s after {sig.name}")
        left = wait_until_gone(tree, timeout=10)
        assert not left, f"outlived `regionomie ui` after {sig.name}: {sorted(left)}"
        # dagster dev shuts down cleanly on both signals; its exit code is ours
        assert returncode == 0, f"`regionomie ui` exited with {returncode}"
        assert not answers(f"http://127.0.0.1:{port}/server_info")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        kill_leftovers(tree)
        log.close()


STANDIN = """
import signal, subprocess, sys, time
mode = sys.argv[1]
if mode == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
elif mode == "exit3":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
# a grandchild in the same process group, like dagster dev's webserver
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print("ready", flush=True)
time.sleep(600)
"""


def run_standin(tmp_path: Path, mode: str, grace: float) -> tuple[subprocess.Popen[str], set[Proc]]:
    """`run_in_foreground` in its own Python process, around the stand-in child."""
    script = tmp_path / "standin.py"
    script.write_text(textwrap.dedent(STANDIN))
    driver = (
        "import sys\n"
        "from regionomie.foreground import run_in_foreground\n"
        f"sys.exit(run_in_foreground([sys.executable, {str(script)!r}, {mode!r}], "
        f"grace_seconds={grace}))\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", driver],
        cwd=REPO_ROOT,
        env=isolated_env(tmp_path),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 10
    while len(tree := descendants(parent.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(tree) == 2, tree
    return parent, tree


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("default", 128 + signal.SIGTERM), ("exit3", 3), ("ignore", 128 + signal.SIGKILL)],
)
def test_exit_code_reflects_the_child_and_the_group_is_gone(
    tmp_path: Path, mode: str, expected: int
) -> None:
    """SIGTERM forwarded to the group; a child that ignores it is SIGKILLed after the grace."""
    parent, tree = run_standin(tmp_path, mode, grace=2.0)
    try:
        started = time.monotonic()
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=20) == expected
        assert not wait_until_gone(tree, timeout=5)
        if mode == "ignore":
            assert time.monotonic() - started >= 2.0  # waited the grace period first
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        kill_leftovers(tree)
        assert parent.stdout is not None
        parent.stdout.close()
