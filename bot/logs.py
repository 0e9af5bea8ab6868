"""Log output: the usual text lines, or one JSON object per line (LOG_FORMAT=json) for log shippers."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# Our lines are "event.name key=value key=value: free text"; the pairs become JSON fields.
_FIELD = re.compile(r"(?<![\w.])([a-z_]+)=(\S+)")
_EVENT = re.compile(r"^([a-z_]+(?:\.[a-z_]+)+)\b")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the event name and key=value fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        event = _EVENT.match(message)
        if event:
            entry["event"] = event.group(1)
            for key, value in _FIELD.findall(message):
                entry.setdefault(key, value.rstrip(":,"))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str | None) -> logging.Formatter:
    """LOG_FORMAT: `json`, or anything else for text lines."""
    return JsonFormatter() if (log_format or "").strip().lower() == "json" else logging.Formatter(TEXT_FORMAT)
