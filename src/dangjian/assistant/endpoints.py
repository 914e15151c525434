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
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings


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
