"""Counting the Neo4j writes that were retried after a transient error (deadlock, lock
timeout): the driver retries managed transactions itself and logs each retry on the `neo4j`
logger, and loader.retry_transient does the same for auto-commit work. Concurrent writers
(several region runs at once) show up here; the count goes into the asset metadata."""

from __future__ import annotations

import logging
import threading

_RETRY_MARK = "will be retried"


class RetryCounter(logging.Handler):
    """A logging handler that counts retry messages and remembers their error codes."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self._lock_count = threading.Lock()
        self.count = 0
        self.codes: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if _RETRY_MARK not in message:
            return
        code = message.rsplit("(", 1)[-1].rstrip(")") if "(" in message else "?"
        with self._lock_count:
            self.count += 1
            self.codes[code] = self.codes.get(code, 0) + 1


def install_retry_counter() -> RetryCounter:
    """One counter per process, on the `neo4j` logger (the driver's own retries included)."""
    logger = logging.getLogger("neo4j")
    for handler in logger.handlers:
        if isinstance(handler, RetryCounter):
            return handler
    counter = RetryCounter()
    logger.addHandler(counter)
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)
    return counter
