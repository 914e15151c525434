"""A stand-in for the model servers a deployment may run (OpenAI-compatible chat and embeddings),
started by the tests on a local port. The URL's first segment picks its behaviour:
/ok/v1 answers well, /rogue/v1 cites a passage it was not given, /slow/v1 answers too late,
/fail/v1 answers 500. Embeddings are hashed character bigrams (similar text, similar vectors)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

DIM = 64


def bigram_vector(text: str) -> list[float]:
    v = np.zeros(DIM, dtype=np.float32)
    chars = [c for c in text if not c.isspace()]
    for a, b in zip(chars, chars[1:], strict=False):
        v[int(hashlib.md5((a + b).encode()).hexdigest(), 16) % DIM] += 1  # noqa: S324 - a hash
    return v.tolist()


class Handler(BaseHTTPRequestHandler):
    calls: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - the http.server interface
        mode = self.path.strip("/").split("/")[0]
        raw_body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.endswith("/audio/transcriptions"):
            Handler.calls.append(self.path)
            if mode == "fail":
                self.send_response(500)
                self.end_headers()
                return
            said = "" if b"SILENCE" in raw_body else "党员一年要学习多少学时"
            self._json({"text": said})
            return
        if self.path.endswith("/audio/speech"):
            Handler.calls.append(self.path)
            audio = b"RIFF\x24\x00\x00\x00WAVEfmt fake"
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Content-Length", str(len(audio)))
            self.end_headers()
            self.wfile.write(audio)
            return
        body = json.loads(raw_body)
        Handler.calls.append(self.path)
        if mode == "fail":
            self.send_response(500)
            self.end_headers()
            return
        if mode == "slow":
            time.sleep(2)
        if self.path.endswith("/embeddings"):
            data = [
                {"index": i, "embedding": bigram_vector(t)} for i, t in enumerate(body["input"])
            ]
            out: dict = {"data": data}
        else:
            user = body["messages"][-1]["content"]
            first = re.search(r"\[1\] 《[^》]*》[^：]*：([^。\n]*。)", user)
            sentence = first.group(1) if first else "无法回答"
            cite = "[7]" if mode == "rogue" else "[1]"
            out = {"choices": [{"message": {"content": f"根据规定，{sentence[:-1]}。{cite}"}}]}
        self._json(out)

    def _json(self, out: dict) -> None:
        raw = json.dumps(out, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def model_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Handler.calls = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
