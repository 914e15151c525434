"""Speech (issue 17, item 6): hold-to-talk sends the recording to the configured recognition
server and returns the transcript for correction; answers are read aloud by the configured
synthesis server (cached per text); without a server the buttons are hidden, not broken."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.assistant import endpoints
from tests.assistant.fake_models import Handler
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _audio(data: bytes = b"\x1aE\xdf\xa3webm-bytes", kind: str = "audio/webm"):
    return SimpleUploadedFile("q.webm", data, kind)


def test_hold_to_talk_returns_the_transcript(client, tree, users, model_server, settings):
    settings.ASR_URL = f"{model_server}/ok/v1"
    login(client, users["member"])
    page = client.get(reverse("assistant:ask")).content.decode()
    assert 'id="holdToTalk"' in page
    assert "assistant/voice.js" in page
    resp = client.post(reverse("assistant:transcribe"), {"audio": _audio()})
    assert resp.json() == {"text": "党员一年要学习多少学时"}
    silent = client.post(reverse("assistant:transcribe"), {"audio": _audio(b"SILENCE")})
    assert silent.status_code == 400
    assert "没有听清" in silent.json()["error"]
    wrong = client.post(reverse("assistant:transcribe"), {"audio": _audio(kind="image/png")})
    assert "格式不支持" in wrong.json()["error"]
    big = client.post(
        reverse("assistant:transcribe"), {"audio": _audio(b"0" * (2 * 1024 * 1024 + 1))}
    )
    assert "最长60秒" in big.json()["error"]
    settings.ASR_URL = f"{model_server}/fail/v1"
    down = client.post(reverse("assistant:transcribe"), {"audio": _audio()})
    assert down.status_code == 503
    assert "改用文字输入" in down.json()["error"]


def test_answers_are_read_aloud_and_cached(client, tree, users, model_server, settings, kb):
    settings.TTS_URL = f"{model_server}/ok/v1"
    login(client, users["member"])
    page = client.post(reverse("assistant:ask"), {"question": "预备期多长"}).content.decode()
    assert reverse("assistant:speak") in page
    url = endpoints.speak_url("预备期为一年")
    first = client.get(url)
    assert first["Content-Type"] == "audio/wav"
    assert first.content.startswith(b"RIFF")
    calls = len([c for c in Handler.calls if c.endswith("/audio/speech")])
    client.get(url)
    assert len([c for c in Handler.calls if c.endswith("/audio/speech")]) == calls  # cached


@pytest.mark.skipif(endpoints.espeak() is None, reason="espeak-ng is installed by make setup")
def test_without_a_speech_server_espeak_reads_aloud(client, tree, users, settings, kb, tmp_path):
    settings.TTS_URL = ""
    login(client, users["member"])
    page = client.post(reverse("assistant:ask"), {"question": "预备期多长"}).content.decode()
    assert reverse("assistant:speak") in page
    # only texts the platform signed are read: a text of one's own is refused
    assert client.get(reverse("assistant:speak") + "?t=随便一段话").status_code == 404
    forged = reverse("assistant:speak") + "?s=" + "x" * 40
    assert client.get(forged).status_code == 404
    resp = client.get(endpoints.speak_url("--help 预备期为一年"))
    assert resp["Content-Type"] == "audio/wav"
    wav = resp.content
    assert wav[:4] == b"RIFF"
    assert wav[8:12] == b"WAVE"
    assert int.from_bytes(wav[4:8], "little") == len(wav) - 8  # real sizes, not a pipe's
    assert int.from_bytes(wav[40:44], "little") == len(wav) - 44
    assert len(wav) > 44 + 22050  # more than half a second of speech, not a usage text
    assert len(list((tmp_path / "tts-cache").glob("*.wav"))) == 1


def test_without_servers_the_buttons_are_hidden(client, tree, users, settings, monkeypatch):
    settings.ASR_URL = ""
    settings.TTS_URL = ""
    monkeypatch.setattr(endpoints, "espeak", lambda: None)
    login(client, users["member"])
    page = client.get(reverse("assistant:ask")).content.decode()
    assert "holdToTalk" not in page
    assert reverse("assistant:speak") not in page
    assert client.post(reverse("assistant:transcribe"), {"audio": _audio()}).status_code == 404
    assert client.get(endpoints.speak_url("测试")).status_code == 404
