"""Model servers a deployment may add, each an OpenAI-compatible HTTP endpoint on its own network
(a self-hosted language model, embeddings, speech): never a hosted service, never weights loaded
by the platform. Unset = not used; down or slow = the assistant answers without it.

  DANGJIAN_LLM_URL      base URL of a chat model (…/v1): POST {url}/chat/completions
  DANGJIAN_LLM_MODEL    the model name sent (default "default")
  DANGJIAN_EMBED_URL    base URL of an embeddings model (…/v1): POST {url}/embeddings
  DANGJIAN_EMBED_MODEL  the model name sent (default "default")
  DANGJIAN_MODEL_KEY    a bearer token for both, if the servers want one
  DANGJIAN_MODEL_TIMEOUT seconds before a call is given up (8)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse


class EndpointError(Exception):
    pass


def chat_configured() -> bool:
    return bool(getattr(settings, "LLM_URL", ""))


def embed_configured() -> bool:
    return bool(getattr(settings, "EMBED_URL", ""))


def _post(url: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if getattr(settings, "MODEL_KEY", ""):
        headers["Authorization"] = f"Bearer {settings.MODEL_KEY}"
    req = urllib.request.Request(  # noqa: S310 - the configured model server
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 # nosec B310
            return json.loads(resp.read(4 * 1024 * 1024))
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise EndpointError(str(exc)[:200]) from exc


def chat(messages: list[dict[str, str]]) -> str:
    out = _post(
        settings.LLM_URL.rstrip("/") + "/chat/completions",
        {
            "model": getattr(settings, "LLM_MODEL", "default"),
            "messages": messages,
            "temperature": 0,
            "max_tokens": 400,
        },
        settings.MODEL_TIMEOUT,
    )
    try:
        return str(out["choices"][0]["message"]["content"])
    except (KeyError, IndexError, TypeError) as exc:
        raise EndpointError("unexpected chat answer") from exc


def embed(texts: list[str]) -> list[list[float]]:
    out = _post(
        settings.EMBED_URL.rstrip("/") + "/embeddings",
        {"model": getattr(settings, "EMBED_MODEL", "default"), "input": texts},
        settings.MODEL_TIMEOUT,
    )
    try:
        rows = sorted(out["data"], key=lambda r: r["index"])
        vectors = [list(map(float, r["embedding"])) for r in rows]
    except (KeyError, TypeError, ValueError) as exc:
        raise EndpointError("unexpected embeddings answer") from exc
    if len(vectors) != len(texts):
        raise EndpointError("embeddings answer has the wrong length")
    return vectors


# --- speech -------------------------------------------------------------------------------------
#   DANGJIAN_ASR_URL   speech recognition (…/v1): POST {url}/audio/transcriptions (multipart)
#   DANGJIAN_TTS_URL   speech synthesis (…/v1): POST {url}/audio/speech
#   without DANGJIAN_TTS_URL, Debian's espeak-ng (Mandarin voice) reads aloud when installed


def asr_configured() -> bool:
    return bool(getattr(settings, "ASR_URL", ""))


def espeak() -> str | None:
    return shutil.which("espeak-ng")


def tts_available() -> bool:
    return bool(getattr(settings, "TTS_URL", "")) or espeak() is not None


def transcribe(audio: bytes, filename: str, content_type: str) -> str:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n'.encode()
        + getattr(settings, "ASR_MODEL", "default").encode()
        + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="language"\r\n\r\nzh\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + audio
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if getattr(settings, "MODEL_KEY", ""):
        headers["Authorization"] = f"Bearer {settings.MODEL_KEY}"
    req = urllib.request.Request(  # noqa: S310 - the configured speech server
        settings.ASR_URL.rstrip("/") + "/audio/transcriptions",
        data=b"".join(parts),
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=settings.MODEL_TIMEOUT) as resp:  # noqa: S310 # nosec B310
            out = json.loads(resp.read(1024 * 1024))
        return str(out.get("text", "")).strip()
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, AttributeError) as exc:
        raise EndpointError(str(exc)[:200]) from exc


SPEAK_SALT = "assistant.speak"
SPEAK_CHARS = 600


def speak_url(text_: str) -> str:
    """The 朗读 link of a text the platform produced: the text travels signed, so the reader only
    ever reads what a page showed (nobody can make the server synthesize and cache their own
    texts)."""
    signed = signing.dumps(text_[:SPEAK_CHARS], salt=SPEAK_SALT, compress=True)
    return reverse("assistant:speak") + "?" + urlencode({"s": signed})


def speak(text_: str) -> tuple[bytes, str]:
    """The text read aloud: (audio, content type), from the speech server, else espeak-ng."""
    if getattr(settings, "TTS_URL", ""):
        headers = {"Content-Type": "application/json"}
        if getattr(settings, "MODEL_KEY", ""):
            headers["Authorization"] = f"Bearer {settings.MODEL_KEY}"
        body = {"model": getattr(settings, "TTS_MODEL", "default"), "input": text_,
                "voice": "default", "response_format": "wav"}  # fmt: skip
        req = urllib.request.Request(  # noqa: S310 - the configured speech server
            settings.TTS_URL.rstrip("/") + "/audio/speech",
            data=json.dumps(body).encode(),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=settings.MODEL_TIMEOUT) as resp:  # noqa: S310 # nosec B310
                return resp.read(20 * 1024 * 1024), "audio/wav"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            if espeak() is None:
                raise EndpointError(str(exc)[:200]) from exc
    program = espeak()
    if program is None:
        raise EndpointError("no speech synthesis")
    # the text goes in on stdin, so a text starting with "-" is never read as an option
    try:
        run = subprocess.run(  # noqa: S603 - a fixed program and fixed arguments
            [program, "-v", "cmn", "--stdin", "--stdout"],
            input=text_.encode(),
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError) as exc:
        raise EndpointError("espeak-ng failed") from exc
    if run.returncode != 0 or len(run.stdout) <= 44:
        raise EndpointError("espeak-ng failed")
    return _wav_sizes(run.stdout), "audio/wav"


def _wav_sizes(wav: bytes) -> bytes:
    """espeak-ng writing to a pipe leaves the RIFF and data sizes at their maximum; set the real
    ones (a plain 44-byte header) so every browser knows the length of what it plays."""
    if wav[:4] != b"RIFF" or wav[36:40] != b"data":
        return wav
    return (
        wav[:4]
        + (len(wav) - 8).to_bytes(4, "little")
        + wav[8:40]
        + (len(wav) - 44).to_bytes(4, "little")
        + wav[44:]
    )
