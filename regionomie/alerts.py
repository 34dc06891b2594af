"""Alerts for failed runs: one JSON line in a local file, and a webhook POST when configured."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

log = logging.getLogger(__name__)


def send_alert(
    title: str,
    details: dict[str, Any],
    alerts_file: Path,
    webhook_url: str | None = None,
    timeout: float = 10.0,
) -> bool:
    """Returns whether the webhook accepted it (True when no webhook is configured)."""
    alerts_file.parent.mkdir(parents=True, exist_ok=True)
    line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "title": title, **details}
    with alerts_file.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=True, default=str) + "\n")
    if not webhook_url:
        return True
    try:
        response = requests.post(webhook_url, json={"text": title, **details}, timeout=timeout)
        response.raise_for_status()
    except requests.RequestException as exc:
        # The URL may carry a token: name only the failure type.
        log.error("alert webhook failed: %s", type(exc).__name__)
        return False
    return True
