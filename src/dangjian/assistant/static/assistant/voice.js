// Hold-to-talk for the assistant: record while the button is held (at most 60 s), send the audio to
// the speech-recognition endpoint, put the transcript in the question box to be corrected. No
// inline script (CSP): this file is loaded by the page.
(function () {
  var button = document.getElementById("holdToTalk");
  if (!button || !window.MediaRecorder || !navigator.mediaDevices) {
    if (button) button.hidden = true;
    return;
  }
  var status = document.getElementById("voiceStatus");
  var box = document.getElementById("id_question");
  var recorder = null, chunks = [], timer = null;
  function token() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function say(text) { if (status) status.textContent = text; }
  function stop() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (recorder && recorder.state === "recording") recorder.stop();
  }
  function start(ev) {
    ev.preventDefault();
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = function (e) { if (e.data.size) chunks.push(e.data); };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        var blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
        var form = new FormData();
        form.append("audio", blob, "question.webm");
        say("正在识别…");
        fetch(button.getAttribute("data-url"), {
          method: "POST", body: form, credentials: "same-origin",
          headers: { "X-CSRFToken": token() }
        }).then(function (r) { return r.json(); }).then(function (data) {
          if (data.text) { box.value = data.text; box.focus(); say("已识别，请核对后点“提问”"); }
          else { say(data.error || "没有听清，请再说一遍"); }
        }).catch(function () { say("语音识别暂时不可用，请改用文字输入"); });
      };
      recorder.start();
      say("正在录音，松开结束（最长60秒）");
      timer = setTimeout(stop, 60000);
    }).catch(function () { say("无法使用麦克风，请检查权限或改用文字输入"); });
  }
  button.addEventListener("pointerdown", start);
  button.addEventListener("pointerup", stop);
  button.addEventListener("pointerleave", stop);
})();
