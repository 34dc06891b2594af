"""What a person sees while `regionomie run` works: one line per step with rows and seconds,
a progress bar while a long step reports progress, one readable line per failure and a
summary. The full event log stays in the Dagster instance (the UI) and behind --verbose.

The lines come from the run's own event log, read while the run executes in this process
(a background thread follows `instance.get_records_for_run`), so they show exactly what
Dagster recorded.
"""

from __future__ import annotations

import re
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, TextIO

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

PROGRESS_MESSAGE = re.compile(r"^progress (?P<label>[\w .-]+?) (?P<done>\d+)/(?P<total>\d+)$")
_ROW_KEYS = ("rows_valid", "candidates", "rows", "rows_in", "parsed")


def progress_message(label: str, done: int, total: int) -> str:
    """The log line an asset writes for a progress bar: 'progress candidates 3/12'."""
    return f"progress {label} {done}/{total}"


def _value(entry: Any) -> Any:
    return getattr(entry, "value", entry)


def rows_of(metadata: dict[str, Any]) -> int | None:
    """The row count an asset reported: a table's valid rows, the candidates, the rows
    written, or the sum of rows_in over the graph families it loaded."""
    for key in _ROW_KEYS:
        if key in metadata:
            value = _value(metadata[key])
            if isinstance(value, int | float):
                return int(value)
    total = 0
    found = False
    for entry in metadata.values():
        value = _value(entry)
        if isinstance(value, dict) and isinstance(value.get("rows_in"), int | float):
            total += int(value["rows_in"])
            found = True
    return total if found else None


CHECK_FAILED_ERROR = "DagsterAssetCheckFailedError"


def is_check_failure(error: Any) -> bool:
    """Whether a step failed because one of its blocking asset checks failed."""
    while error is not None:
        if getattr(error, "cls_name", "") == CHECK_FAILED_ERROR:
            return True
        error = getattr(error, "cause", None)
    return False


def failure_line(error: Any) -> str:
    """The innermost cause of a step failure in one line: 'ValueError: no header row'."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    lines = [line for line in (error.message or "").strip().splitlines() if line.strip()]
    return lines[0].strip() if lines else getattr(error, "cls_name", "error")


@dataclass
class StepLine:
    step: str
    seconds: float
    rows: int | None
    ok: bool
    detail: str = ""


@dataclass
class RunConsole:
    """Follows one run's event log and prints a line per finished step."""

    instance: dg.DagsterInstance
    run_id: str
    out: TextIO = field(default_factory=lambda: sys.stderr)
    poll_seconds: float = 0.5
    lines: list[StepLine] = field(default_factory=list)
    _cursor: str | None = None
    _started: dict[str, float] = field(default_factory=dict)
    _rows: dict[str, int | None] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _progress: Progress | None = None
    _tasks: dict[str, TaskID] = field(default_factory=dict)

    def __enter__(self) -> RunConsole:
        console = Console(file=self.out, highlight=False)
        self._progress = Progress(
            TextColumn("  {task.description:<28}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._progress.start()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._drain()
        if self._progress is not None:
            self._progress.stop()

    def _follow(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self._drain()

    def _drain(self) -> None:
        try:
            result = self.instance.get_records_for_run(self.run_id, cursor=self._cursor)
        except Exception:  # noqa: BLE001 - the console must never break the run
            return
        self._cursor = result.cursor
        for record in result.records:
            self._handle(record.event_log_entry)

    def _handle(self, entry: Any) -> None:
        event = entry.dagster_event
        step = entry.step_key or ""
        if event is None:
            match = PROGRESS_MESSAGE.match(entry.user_message or "")
            if match and self._progress is not None:
                key = f"{step}:{match['label']}"
                if key not in self._tasks:
                    self._tasks[key] = self._progress.add_task(
                        f"{step} {match['label']}", total=int(match["total"])
                    )
                self._progress.update(self._tasks[key], completed=int(match["done"]))
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            self._started[step] = entry.timestamp
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.step_materialization_data.materialization
            self._rows[step] = rows_of(dict(materialization.metadata))
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            seconds = entry.timestamp - self._started.get(step, entry.timestamp)
            ok = kind == "STEP_SUCCESS"
            detail = ""
            if not ok and event.step_failure_data and event.step_failure_data.error:
                error = event.step_failure_data.error
                detail = (
                    "stopped by its quality check (above)"
                    if is_check_failure(error)
                    else failure_line(error)
                )
            line = StepLine(step, seconds, self._rows.get(step), ok, detail)
            self.lines.append(line)
            self._print(line)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation is not None and not evaluation.passed:
                name = evaluation.asset_key.to_user_string()
                text = evaluation.description or "check failed"
                self._emit(f"  ! {name}: {text}")

    def _print(self, line: StepLine) -> None:
        rows = f"{line.rows:>10,} rows" if line.rows is not None else " " * 15
        mark = "ok" if line.ok else "FAILED"
        text = f"  {mark:<6} {line.step:<28} {rows} {line.seconds:7.1f} s"
        self._emit(text + (f"  {line.detail}" if line.detail else ""))

    def _emit(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text, markup=False, soft_wrap=True)
        else:
            print(text, file=self.out)

    def summary(self, seconds: float) -> str:
        done = sum(1 for line in self.lines if line.ok)
        failed = [line for line in self.lines if not line.ok]
        text = f"{done} steps done in {seconds:.0f} s"
        if failed:
            text += f"; {len(failed)} failed: " + ", ".join(line.step for line in failed)
        return text
