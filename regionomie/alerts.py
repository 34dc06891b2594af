"""Alerts for failed runs: one JSON line in <state>/alerts.log and, when configured, a webhook
POST.

Why so strict: an alert leaves the pipeline's own files (a chat channel, a mail gateway, a
log shipper), so it carries only what identifies the failure - the run, the job, the failed
steps and the *types* of their errors - never an error message, which may quote a trade
name, an address or a whole row; the full story stays in the Dagster UI. The line is written
by the project's file writer (owner-only, whatever the umask; a symbolic link is refused),
the webhook must be https (plain http only to this machine), and a redirect is never
followed: the URL usually carries a token, and a redirect could hand the alert to another
host.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from regionomie.fileio import append_line

log = logging.getLogger(__name__)

# Tags an alert may repeat (their values are set by the project, never by data or by hand).
ALERT_TAGS = ("regionomie/region", "regionomie/trigger")
_NAME = re.compile(r"[A-Za-z0-9_.:/\-\[\]]{1,200}")
_LOCAL_HOSTS = frozenset({"localhost", "localhost.localdomain"})


def _name(value: object) -> str:
    """A job, step, tag or error-type name as it may appear in an alert, else '?'. Names
    are identifiers; anything else (spaces, quotes, a value) is not let through."""
    text = str(value)
    return text if _NAME.fullmatch(text) else "?"


@dataclass(frozen=True)
class RunAlert:
    """What an alert about one failed run says; nothing else can be put in one."""

    run_id: str
    job: str
    failed_steps: tuple[str, ...] = ()
    error_types: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        run_id: str,
        job: str,
        failed_steps: Iterable[str] = (),
        error_types: Iterable[str] = (),
        tags: Mapping[str, str] | None = None,
    ) -> RunAlert:
        return cls(
            run_id=_name(run_id),
            job=_name(job),
            failed_steps=tuple(sorted({_name(s) for s in failed_steps})),
            error_types=tuple(sorted({_name(e) for e in error_types})),
            tags={k: _name(v) for k, v in sorted((tags or {}).items()) if k in ALERT_TAGS},
        )

    @property
    def title(self) -> str:
        return f"Regionomie run failed: {self.job}"

    def payload(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "run_id": self.run_id,
            "job": self.job,
            "failed_steps": list(self.failed_steps),
            "error_types": list(self.error_types),
            "tags": dict(self.tags),
            "details": "see the run in the Dagster UI",
        }


def webhook_problem(url: str) -> str | None:
    """Why this webhook URL may not be used, or None: https, or plain http to this machine
    only (a local relay, a test server)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host:
        if host in _LOCAL_HOSTS:
            return None
        try:
            if ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            pass
        return "plain http to another host (use https)"
    return "not an https URL"


def send_alert(
    alert: RunAlert,
    alerts_file: Path,
    webhook_url: str | None = None,
    timeout: float = 10.0,
) -> bool:
    """Write the alert line, then POST it to the webhook (no redirects). Returns whether the
    webhook accepted it (True when no webhook is configured)."""
    line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **alert.payload()}
    append_line(alerts_file, json.dumps(line, sort_keys=True))
    if not webhook_url:
        return True
    problem = webhook_problem(webhook_url)
    if problem:
        log.error("alert webhook refused: %s (REGIONOMIE_ALERT_WEBHOOK_URL)", problem)
        return False
    try:
        response = requests.post(
            webhook_url,
            json={"text": alert.title, **alert.payload()},
            timeout=timeout,
            allow_redirects=False,
        )
        if response.is_redirect or 300 <= response.status_code < 400:
            log.error("alert webhook answered a redirect (%s); not followed", response.status_code)
            return False
        response.raise_for_status()
    except requests.RequestException as exc:
        # The URL may carry a token: name only the failure type.
        log.error("alert webhook failed: %s", type(exc).__name__)
        return False
    return True
