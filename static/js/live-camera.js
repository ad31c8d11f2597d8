// The real-time camera page: webcam frames go to /ws/live/ through FrameStream
// (frame-stream.js); the answers are drawn over the mirrored video, listed per
// face and charted over the last 30 seconds. Optionally the server records the
// emotion scores (never the images) as an analysis job.
(function () {
  "use strict";

  const app = document.getElementById("live-app");
  if (!app) return;

  const EMOTIONS = JSON.parse(document.getElementById("live-emotions").textContent);
  const EMOJI = Object.fromEntries(EMOTIONS.map((e) => [e.name, e.emoji]));
  const COLORS = window.FER_EMOTION_COLORS;
  const WINDOW_S = 30; // the rolling chart
  const CHART_EVERY_MS = 250;
  // A screen reader hears the faces' emotions at most this often: each result would be ~25 a second.
  const ANNOUNCE_EVERY_MS = 2500;
  const EMOJI_FONT = '"Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji", sans-serif';

  const $ = (id) => document.getElementById(id);
  const video = $("camera-video");
  const overlay = $("overlay");
  const startButton = $("camera-start");
  const stopButton = $("camera-stop");
  const recordButton = $("record-toggle");

  let camera = null;
  let history = []; // {t: seconds, values: {emotion: probability}} of the main face
  let recordingStartedAt = null;
  let recordingTimer = null;
  let showingResults = false; // the stats and faces shown are from the running stream
  let announced = { text: "", at: -Infinity }; // what #face-status last said, and when

  const stream = new FrameStream({
    video: video,
    wsPath: app.dataset.wsPath,
    maxFps: Number(app.dataset.maxFps) || 30,
    onState: (text) => { $("stat-connection").textContent = text; },
    onReady: () => { recordButton.disabled = false; },
    onDisconnect: () => {
      setRecording(false);
      recordButton.disabled = true;
      clearResults("Connection lost. The faces come back when it reconnects.");
    },
    onResult: onResult,
    onError: (message) => showError(message.message),
    onMessage: (message) => { if (message.type === "recording") onRecording(message); },
  });

  function showError(text) {
    const box = $("live-error");
    box.textContent = text;
    box.classList.toggle("d-none", !text);
  }

  // A button disabled while it has focus drops the focus to the page's start: a keyboard user
  // would have to tab all the way back. The focus moves to the button that takes over.
  function disableAndFocus(disabled, next) {
    const hadFocus = document.activeElement === disabled;
    disabled.disabled = true;
    if (hadFocus) next.focus();
  }

  async function startCamera() {
    showError("");
    startButton.disabled = true;
    try {
      camera = await FrameStream.openCamera();
    } catch (error) {
      camera = null;
      startButton.disabled = false;
      startButton.focus();
      showError(FrameStream.cameraErrorText(error));
      return;
    }
    video.srcObject = camera;
    await video.play().catch(() => {});
    $("camera-placeholder").classList.add("d-none");
    stopButton.disabled = false;
    stopButton.focus();
    stream.start();
  }

  function stopCamera() {
    if (camera) camera.getTracks().forEach((track) => track.stop());
    camera = null;
    video.srcObject = null;
    stream.stop(); // the server saves a recording that is still running
    setRecording(false);
    recordButton.disabled = true;
    startButton.disabled = false;
    disableAndFocus(stopButton, startButton);
    $("camera-placeholder").classList.remove("d-none");
    clearResults("Camera stopped. Start it to see the faces again.");
    $("stat-connection").textContent = "Not connected";
  }

  // The camera stopped or the connection dropped: nothing shown may look live. The stat
  // tiles read "–", the face panels go, the overlay is wiped and the chart gets a gap.
  function clearResults(note) {
    if (!showingResults) return;
    showingResults = false;
    ["stat-faces", "stat-latency", "stat-rate", "stat-server"].forEach((id) => { $(id).textContent = "–"; });
    showFaces([], note);
    announced = { text: "", at: -Infinity }; // the next face is news again
    clearOverlay();
    breakChart(performance.now());
  }

  function onResult(message) {
    if (!camera) return; // an answer to a frame sent before Stop
    showingResults = true;
    $("stat-results").textContent = stream.results;
    const latency = stream.latencyMs;
    $("stat-latency").textContent = latency === null ? "–" : Math.round(latency);
    const rate = stream.resultsPerSecond;
    $("stat-rate").textContent = rate === null ? "–" : rate.toFixed(1);
    $("stat-server").textContent = Math.round(message.server_ms);
    $("stat-faces").textContent = message.faces.length;
    drawOverlay(message);
    showFaces(message.faces);
    announceFaces(message.faces, performance.now());
    remember(message, performance.now());
  }

  // Overlay -------------------------------------------------------------------------------

  function clearOverlay() {
    overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
  }

  function drawOverlay(message) {
    const ratio = window.devicePixelRatio || 1;
    const width = overlay.clientWidth;
    const height = overlay.clientHeight;
    if (overlay.width !== Math.round(width * ratio) || overlay.height !== Math.round(height * ratio)) {
      overlay.width = Math.round(width * ratio);
      overlay.height = Math.round(height * ratio);
    }
    const ctx = overlay.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    // the video is fitted into the stage (object-fit: contain): a camera whose shape is not
    // the stage's gets black bands, and the boxes must leave them out too
    const scale = Math.min(width / message.width, height / message.height);
    const offsetX = (width - message.width * scale) / 2;
    const offsetY = (height - message.height * scale) / 2;
    message.faces.forEach((face) => {
      const [x, y, w, h] = face.box;
      // the video is shown mirrored, like a mirror; the boxes follow it
      const left = offsetX + (message.width - (x + w)) * scale;
      const top = offsetY + y * scale;
      const color = COLORS[face.label] || "#ffffff";
      ctx.lineWidth = 3;
      ctx.strokeStyle = color;
      ctx.strokeRect(left, top, w * scale, h * scale);
      drawLabel(ctx, face, left, top, color);
    });
  }

  // The same face, words and figures as its panel ("face #1", "Happy 80%"): the face's
  // number ties the box to its panel, where all seven probabilities are listed.
  function drawLabel(ctx, face, left, top, color) {
    const text = "#" + face.track_id + " " + face.label + " " + Math.round(face.confidence * 100) + "%";
    ctx.font = "600 15px system-ui, sans-serif";
    const textWidth = ctx.measureText(text).width;
    const y = Math.max(0, top - 26);
    ctx.fillStyle = color;
    ctx.fillRect(left, y, textWidth + 34, 24);
    ctx.font = "16px " + EMOJI_FONT;
    ctx.textBaseline = "middle";
    ctx.fillText(face.emoji, left + 5, y + 12);
    ctx.font = "600 15px system-ui, sans-serif";
    ctx.fillStyle = FER_TEXT_ON(color);
    ctx.fillText(text, left + 27, y + 12);
  }

  // Face panels -----------------------------------------------------------------------------

  function showFaces(faces, note) {
    const container = $("face-panels");
    const noFace = $("no-face-note");
    noFace.textContent = note || "No face in view. Face the camera in good light.";
    noFace.classList.toggle("d-none", faces.length > 0);
    const seen = new Set();
    faces.forEach((face) => {
      const id = "face-panel-" + face.track_id;
      seen.add(id);
      let panel = document.getElementById(id);
      if (!panel) {
        panel = buildPanel(id, face.track_id);
        container.append(panel);
      }
      panel.querySelector(".face-emoji").textContent = face.emoji;
      panel.querySelector(".face-label").textContent = face.label;
      panel.querySelector(".face-confidence").textContent = Math.round(face.confidence * 100) + "%";
      EMOTIONS.forEach((emotion) => {
        const percent = 100 * (face.probabilities[emotion.name] || 0);
        const row = panel.querySelector('[data-emotion="' + emotion.name + '"]');
        row.querySelector(".progress-bar").style.width = percent.toFixed(1) + "%";
        row.querySelector(".progress").setAttribute("aria-valuenow", percent.toFixed(0));
        row.querySelector(".value").textContent = percent.toFixed(0) + "%";
      });
    });
    container.querySelectorAll(".face-panel").forEach((panel) => {
      if (!seen.has(panel.id)) panel.remove();
    });
  }

  // "Face 1: happy." per face: said when a face's emotion changes (or a face comes or goes), and
  // no sooner than ANNOUNCE_EVERY_MS after the last time; a change in between waits for a later result.
  function announceFaces(faces, now) {
    const text = faces.length
      ? faces.map((face) => "Face " + Number(face.track_id) + ": " + face.label + ".").join(" ")
      : "No face in view.";
    if (text === announced.text || now - announced.at < ANNOUNCE_EVERY_MS) return;
    announced = { text: text, at: now };
    $("face-status").textContent = text;
  }

  function buildPanel(id, trackId) {
    const panel = document.createElement("div");
    panel.className = "face-panel card card-body p-2";
    panel.id = id;
    const header = document.createElement("div");
    header.className = "d-flex align-items-center gap-2 mb-1";
    header.innerHTML = '<span class="face-emoji emoji fs-3" aria-hidden="true"></span>' +
      '<span class="face-label fw-semibold text-capitalize"></span>' +
      '<span class="face-confidence text-body-secondary small"></span>' +
      '<span class="ms-auto small text-body-secondary">face #' + Number(trackId) + "</span>";
    panel.append(header);
    EMOTIONS.forEach((emotion) => {
      const row = document.createElement("div");
      row.className = "d-flex align-items-center gap-2 small emotion-row";
      row.dataset.emotion = emotion.name;
      row.innerHTML = '<span class="emoji" aria-hidden="true"></span>' +
        '<span class="emotion-name text-capitalize"></span>' +
        '<div class="progress flex-grow-1" role="progressbar" aria-valuemin="0" aria-valuemax="100" style="height: 0.6rem">' +
        '<div class="progress-bar"></div></div><span class="value text-end"></span>';
      row.querySelector(".emoji").textContent = emotion.emoji;
      row.querySelector(".emotion-name").textContent = emotion.name;
      row.querySelector(".progress").setAttribute("aria-label", emotion.name);
      row.querySelector(".progress-bar").style.background = COLORS[emotion.name];
      panel.append(row);
    });
    return panel;
  }

  // Rolling chart -----------------------------------------------------------------------------

  const chart = new Chart($("rolling-chart"), {
    type: "line",
    data: {
      datasets: EMOTIONS.map((emotion) => ({
        label: emotion.emoji + " " + emotion.name,
        data: [],
        ...FER_EMOTION_LINE(emotion.name), // colour and dashes
        pointRadius: 0, // markers would crawl along as the window slides
        borderWidth: 2,
        tension: 0.2,
        spanGaps: false, // a null point (camera off, connection lost, no face) breaks the line
      })),
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      parsing: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { type: "linear", min: -WINDOW_S, max: 0, title: { display: true, text: "seconds ago" } },
        y: { min: 0, max: 100, title: { display: true, text: "probability (%)" } },
      },
      plugins: {
        legend: { labels: FER_EMOTION_LEGEND_LABELS(FER_EMOTION_LEGEND_BOX_WIDTH($("rolling-chart").parentElement), {}, false) },
        tooltip: { usePointStyle: true, callbacks: { label: (item) => item.dataset.label + ": " + item.parsed.y.toFixed(0) + "%" } },
      },
    },
  });
  let lastChartAt = 0;

  function remember(message, now) {
    const t = now / 1000;
    if (message.faces.length) {
      // the largest face is the person in front of the camera
      const main = message.faces.reduce((a, b) => (a.box[2] * a.box[3] >= b.box[2] * b.box[3] ? a : b));
      history.push({ t: t, values: main.probabilities });
      $("chart-subject").textContent = "(face #" + main.track_id + ")";
    } else {
      addGap(t); // no face: no line across the time nobody was there
    }
    drawChart(now, false);
  }

  // A point without values: Chart.js leaves the line broken there (spanGaps: false).
  function addGap(t) {
    const last = history[history.length - 1];
    if (last && last.values !== null) history.push({ t: t, values: null });
  }

  function breakChart(now) {
    addGap(now / 1000);
    drawChart(now, true);
  }

  function drawChart(now, force) {
    const t = now / 1000;
    history = history.filter((point) => t - point.t <= WINDOW_S);
    if (!force && now - lastChartAt < CHART_EVERY_MS) return;
    lastChartAt = now;
    chart.data.datasets.forEach((dataset, i) => {
      const name = EMOTIONS[i].name;
      dataset.data = history.map((point) => ({
        x: point.t - t, y: point.values === null ? null : 100 * (point.values[name] || 0),
      }));
    });
    chart.update("none");
  }

  // Recording ---------------------------------------------------------------------------------

  function setRecording(on) {
    recordingStartedAt = on ? performance.now() : null;
    $("recording-badge").classList.toggle("d-none", !on);
    recordButton.classList.toggle("btn-danger", on);
    recordButton.classList.toggle("btn-outline-danger", !on);
    // A toggle keeps its name ("Record emotions", pressed or not); the title says how to stop.
    recordButton.setAttribute("aria-pressed", String(on));
    recordButton.title = on ? "Recording the emotion scores: press again to stop and save them"
      : "Save the emotion scores (never the images) as an analysis you can chart and download";
    clearInterval(recordingTimer);
    if (on) {
      recordingTimer = setInterval(() => {
        const seconds = Math.floor((performance.now() - recordingStartedAt) / 1000);
        $("recording-badge").querySelector(".recording-time").textContent =
          Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
      }, 500);
    }
  }

  function onRecording(message) {
    const saved = $("recording-saved");
    if (message.state === "started") {
      saved.classList.add("d-none");
      setRecording(true);
      return;
    }
    setRecording(false);
    saved.classList.remove("d-none");
    if (message.state === "saved") {
      saved.innerHTML = "Recording saved: " + Number(message.frames) + " frames over " + Number(message.seconds) +
        ' s. <a class="alert-link" href="' + encodeURI(message.url) + '">Open its emotion timeline</a>.';
    } else {
      saved.textContent = "Nothing was recorded, so nothing was saved.";
    }
  }

  recordButton.addEventListener("click", () => {
    stream.send({ type: "record", action: recordingStartedAt === null ? "start" : "stop" });
  });
  startButton.addEventListener("click", startCamera);
  stopButton.addEventListener("click", stopCamera);
  window.addEventListener("resize", clearOverlay);
})();
