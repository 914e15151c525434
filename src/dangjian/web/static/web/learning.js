// The study page's heartbeat: every `interval` seconds, and when the page is hidden or shown or the
// media plays or pauses, tell the server whether the page is visible and the media playing. The
// server credits only the time between two heartbeats that both count (capped), so a hidden tab, a
// paused video or a sleeping phone earns nothing.
(function () {
  "use strict";
  var box = document.getElementById("study");
  if (!box) return;
  var url = box.dataset.beatUrl;
  var interval = Math.max(1, parseInt(box.dataset.interval, 10) || 15) * 1000;
  var media = document.getElementById("media");
  var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  headers["Content-Type"] = "application/json";
  var studied = document.getElementById("studied");
  if (media && box.dataset.position) {
    media.addEventListener("loadedmetadata", function () {
      var at = parseInt(box.dataset.position, 10) || 0;
      if (at > 0 && at < media.duration) media.currentTime = at; // continue where I stopped
    }, { once: true });
  }
  if (!media && box.dataset.position) {
    var y = parseInt(box.dataset.position, 10) || 0;
    if (y > 0) window.scrollTo(0, y); // an article: back to where I stopped reading
  }
  function playing() { return media ? !media.paused && !media.ended : false; }
  var inFlight = false;
  function beat() {
    if (inFlight) return; // one heartbeat at a time; the server credits by elapsed time anyway
    inFlight = true;
    var body = JSON.stringify({ visible: document.visibilityState === "visible", playing: playing(),
                                position: media ? Math.floor(media.currentTime || 0) : Math.floor(window.scrollY || 0) });
    fetch(url, { method: "POST", headers: headers, body: body, credentials: "same-origin", keepalive: true })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d && studied) studied.textContent = Math.floor(d.seconds / 60); })
      .catch(function () {})
      .then(function () { inFlight = false; });
  }
  beat();
  window.setInterval(beat, interval);
  document.addEventListener("visibilitychange", beat);
  if (media) { media.addEventListener("play", beat); media.addEventListener("pause", beat); }
  window.addEventListener("pagehide", beat);
})();
