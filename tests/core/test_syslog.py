"""Audit and security events off the host (issue 16, C5): RFC 5424 lines over TCP and TLS,
received by a local collector the test starts (over TLS only when the configured CA vouches for
it); no personal data; CR/LF/ANSI escaped so no line can be forged."""

from __future__ import annotations

import datetime as dt
import logging
import re
import socketserver
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.db import transaction

from dangjian.audit.services import audit_record, audit_seal
from dangjian.core.syslog import Rfc5424Handler

pytestmark = pytest.mark.django_db
FRAME = re.compile(rb"(\d+) ")


class Collector(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        self.received: list[str] = []
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        buf = b""
        while chunk := self.request.recv(65536):
            buf += chunk
            while (m := FRAME.match(buf)) and len(buf) >= m.end() + int(m.group(1)):
                end = m.end() + int(m.group(1))
                self.server.received.append(buf[m.end() : end].decode())  # type: ignore[attr-defined]
                buf = buf[end:]


@pytest.fixture
def collector():
    server = Collector()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log = logging.getLogger("dangjian.security")
    handler = Rfc5424Handler(f"tcp://127.0.0.1:{server.server_address[1]}")
    old = (log.level, log.propagate)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    yield server
    log.removeHandler(handler)
    handler.close()
    log.setLevel(old[0])
    log.propagate = old[1]
    server.shutdown()
    server.server_close()


def _wait(server: Collector, n: int) -> list[str]:
    for _ in range(100):
        if len(server.received) >= n:
            break
        time.sleep(0.02)
    return server.received


def test_audit_events_and_seals_reach_the_collector(
    collector, tree, users, django_capture_on_commit_callbacks
):
    member = tree.members["A1-1"]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        audit_record(
            actor=users["committee_staff"],
            action="members.unmask",
            obj=member,
            data={"fields": ["id_number"], "value": member.id_number()},
        )
    audit_seal()
    lines = _wait(collector, 2)
    [event] = [x for x in lines if " audit [audit@32473 " in x]
    assert event.startswith("<86>1 ")  # authpriv.info, version 1
    assert 'action="members.unmask"' in event
    assert f'actor="{users["committee_staff"].pk}"' in event
    assert 'role="committee_staff"' in event
    assert f'org="{tree.branch_a1.path}"' in event
    # no personal data: neither the member's name nor the values in the event
    assert member.name not in event
    assert member.id_number() not in event
    assert any(" seal [seal@32473 " in x and 'sig="' in x for x in lines)


def test_control_characters_cannot_forge_a_line(collector):
    logging.getLogger("dangjian.security").warning("登录失败 user=a\r\n<86>1 伪造\x1b[31m红")
    [got] = _wait(collector, 1)
    assert "\n" not in got
    assert "\r" not in got
    assert "\x1b" not in got
    assert got.endswith("登录失败 user=a\\r\\n<86>1 伪造\\x1b[31m红")


def _self_signed(tmp_path) -> tuple[str, str]:
    """A certificate for localhost (its own CA) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "collector.pem", tmp_path / "collector.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


class TlsCollector(Collector):
    def __init__(self, cert: str, key: str) -> None:
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        super().__init__()

    def get_request(self):  # type: ignore[no-untyped-def]
        sock, addr = super().get_request()
        try:
            return self.ctx.wrap_socket(sock, server_side=True), addr
        except OSError:
            sock.close()
            raise


def test_lines_go_over_tls_to_a_collector_the_ca_vouches_for(tmp_path):
    cert, key = _self_signed(tmp_path)
    server = TlsCollector(cert, key)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    trusted = Rfc5424Handler(f"tls://localhost:{port}", ca_file=cert)
    (tmp_path / "other").mkdir()
    other_cert, _ = _self_signed(tmp_path / "other")
    untrusted = Rfc5424Handler(f"tls://localhost:{port}", ca_file=other_cert)
    try:
        record = logging.LogRecord(
            "dangjian.security", logging.WARNING, "", 0, "登录失败", (), None
        )
        untrusted.emit(record)
        for _ in range(100):
            if untrusted.dropped:
                break
            time.sleep(0.05)
        assert untrusted.dropped == 1  # an impostor collector gets nothing
        trusted.emit(record)
        [got] = _wait(server, 1)
        assert got.startswith("<")
        assert got.endswith("登录失败")
    finally:
        trusted.close()
        untrusted.close()
        server.shutdown()
        server.server_close()
