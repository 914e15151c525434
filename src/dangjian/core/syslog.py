"""Audit and security events off the host (security.md C5): RFC 5424 lines over TCP, or TCP with
TLS, to the collector named by DANGJIAN_SYSLOG_URL (tcp://host:514, tls://host:6514), framed by
octet counting (RFC 6587). Lines carry no secret and no personal data (ids, roles, paths, actions;
never names, ID numbers or diffs); CR, LF, ANSI escapes and other control characters are escaped so
a value cannot forge a line. A collector that is slow or down never stops the platform: lines
are sent from a background thread through a bounded queue, and dropped (counted) when the
collector cannot take them."""

from __future__ import annotations

import logging
import os
import queue
import re
import socket
import ssl
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

APP = "dangjian"
ENTERPRISE = 32473  # the documentation enterprise number (RFC 5612) for our SD-IDs
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x1f\x7f]")
_HOST = socket.gethostname()[:255] or "-"
SEVERITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}
FACILITY_AUTHPRIV = 10


def escape(text: str) -> str:
    """Control characters made visible: CR → \\r, LF → \\n, an ANSI sequence → \\x1b[..."""

    def one(m: re.Match[str]) -> str:
        s = m.group()
        return {"\r": "\\r", "\n": "\\n", "\t": "\\t"}.get(s) or s.encode("unicode_escape").decode()

    return _CONTROL.sub(one, text)


def _sd_value(v: Any) -> str:
    return escape(str(v)).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def line(record: logging.LogRecord) -> str:
    """One RFC 5424 message (without framing)."""
    pri = FACILITY_AUTHPRIV * 8 + SEVERITY.get(record.levelno, 6)
    ts = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sd = "-"
    fields: dict[str, Any] | None = getattr(record, "sd", None)
    if fields:
        params = " ".join(f'{k}="{_sd_value(v)}"' for k, v in fields.items() if v not in (None, ""))
        sd = f"[{getattr(record, 'sd_id', 'event')}@{ENTERPRISE} {params}]"
    msgid = escape(str(getattr(record, "msgid", "-")))[:32] or "-"
    return f"<{pri}>1 {ts} {_HOST} {APP} {os.getpid()} {msgid} {sd} {escape(record.getMessage())}"


class Rfc5424Handler(logging.Handler):
    """Sends each record to the collector from a background thread (a slow or unreachable
    collector never holds up a request): lines wait in a bounded queue, dropped (and counted)
    when it is full; one connection, reopened when it breaks."""

    QUEUE = 10000

    def __init__(self, url: str, ca_file: str = "") -> None:
        super().__init__()
        self.queue: queue.Queue[bytes] = queue.Queue(maxsize=self.QUEUE)
        self.dropped = 0
        self.sender: threading.Thread | None = None
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (6514 if parts.scheme == "tls" else 514)
        self.ca_file = ca_file
        self.sock: socket.socket | None = None
        self.io_lock = threading.Lock()

    def _connect(self) -> socket.socket:
        raw = socket.create_connection((self.host, self.port), timeout=3)
        if self.scheme != "tls":
            return raw
        ctx = ssl.create_default_context(cafile=self.ca_file or None)
        return ctx.wrap_socket(raw, server_hostname=self.host)

    def emit(self, record: logging.LogRecord) -> None:
        data = line(record).encode("utf-8")
        try:
            self.queue.put_nowait(f"{len(data)} ".encode() + data)
        except queue.Full:
            self.dropped += 1
            return
        if self.sender is None or not self.sender.is_alive():
            with self.io_lock:
                if self.sender is None or not self.sender.is_alive():
                    self.sender = threading.Thread(target=self._send_loop, daemon=True)
                    self.sender.start()

    def _send_loop(self) -> None:
        while True:
            frame = self.queue.get()
            for attempt in (1, 2):
                try:
                    if self.sock is None:
                        self.sock = self._connect()
                    self.sock.sendall(frame)
                    break
                except OSError:
                    if self.sock is not None:
                        self.sock.close()
                    self.sock = None
                    if attempt == 2:
                        self.dropped += 1
                        time.sleep(1)  # the collector is down: back off a little

    def close(self) -> None:
        deadline = time.monotonic() + 2
        while not self.queue.empty() and time.monotonic() < deadline:
            time.sleep(0.01)  # let what is queued go out
        super().close()
