// The real-time camera page: webcam frames go to /ws/live/ as downscaled JPEGs,
// one at a time (the next leaves when the previous answer arrived, so nothing
// queues up and a busy server lowers the frame rate instead of raising the
// latency); the answers are drawn over the mirrored video, listed per face and
// charted over the last 30 seconds. Optionally the server records the emotion
// scores (never the images) as an analysis job.
(function () {
  "use strict";

  const app = document.getElementById("live-app");
  if (!app) return;

  const EMOTIONS = JSON.parse(document.getElementById("live-emotions").textContent);
  const EMOJI = Object.fromEntries(EMOTIONS.map((e) => [e.name, e.emoji]));
  const COLORS = window.FER_EMOTION_COLORS;
  const MAX_SIDE = 640; // longer side of the frames sent
  const JPEG_QUALITY = 0.8;
  const WINDOW_S = 30; // the rolling chart
  const CHART_EVERY_MS = 250;
  const RECONNECT_MS = 2000;
  const EMOJI_FONT = '"Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji", sans-serif';
  const minIntervalMs = 1000 / (Number(app.dataset.maxFps) || 30);

  const $ = (id) => document.getElementById(id);
  const video = $("camera-video");
  const overlay = $("overlay");
  const startButton = $("camera-start");
  const stopButton = $("camera-stop");
  const recordButton = $("record-toggle");
  const grab = document.createElement("canvas");

  let stream = null;
  let socket = null;
  let ready = false;
  let inFlight = false;
  let seq = 0;
  let sentAt = 0;
  let lastSentAt = 0;
  let results = 0;
  let latencies = [];
  let resultTimes = [];
  let history = []; // {t: seconds, values: {emotion: percent}} of the main face
  let recordingStartedAt = null;
  let recordingTimer = null;

  function showError(text) {
    const box = $("live-error");
    box.textContent = text;
    box.classList.toggle("d-none", !text);
  }

  function setConnection(text) {
    $("stat-connection").textContent = text;
  }

  function cameraErrorText(error) {
    switch (error && error.name) {
      case "NotAllowedError":
      case "SecurityError":
        return "Camera access was refused. Allow the camera for this site (the camera icon in the address bar), then press Start camera again.";
      case "NotFoundError":
      case "OverconstrainedError":
        return "No camera was found. Connect a camera, then press Start camera again.";
      case "NotReadableError":
        return "The camera is in use by another application. Close it, then press Start camera again.";
      default:
        return "The camera could not be started: " + ((error && error.message) || "unknown error") + ".";
    }
  }

  async function startCamera() {
    showError("");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showError("This browser can use the camera only on a secure page: open the site over https:// (or on localhost).");
      return;
    }
    startButton.disabled = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (error) {
      stream = null;
      startButton.disabled = false;
      showError(cameraErrorText(error));
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    $("camera-placeholder").classList.add("d-none");
    stopButton.disabled = false;
    connect();
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    if (socket) socket.close(1000); // the server saves a recording that is still running
    socket = null;
    ready = false;
    inFlight = false;
    setRecording(false);
    recordButton.disabled = true;
    startButton.disabled = false;
    stopButton.disabled = true;
    $("camera-placeholder").classList.remove("d-none");
    clearOverlay();
    setConnection("Not connected");
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + app.dataset.wsPath);
    socket = ws;
    setConnection("Connecting…");
    ws.onopen = () => setConnection("Loading the models…");
    ws.onmessage = (event) => handle(JSON.parse(event.data));
    ws.onclose = () => {
      if (socket !== ws) return; // closed on purpose
      ready = false;
      inFlight = false;
      setRecording(false);
      recordButton.disabled = true;
      setConnection("Reconnecting…");
      setTimeout(() => { if (stream && socket === ws) connect(); }, RECONNECT_MS);
    };
  }

  function handle(message) {
    if (message.type === "ready") {
      ready = true;
      setConnection("Live");
      recordButton.disabled = false;
      sendNext();
    } else if (message.type === "result") {
      onResult(message);
    } else if (message.type === "error") {
      onError(message);
    } else if (message.type === "recording") {
      onRecording(message);
    }
  }

  function sendNext() {
    if (!ready || inFlight || !stream || !socket || socket.readyState !== WebSocket.OPEN) return;
    if (video.readyState < 2 || !video.videoWidth) {
      setTimeout(sendNext, 50);
      return;
    }
    const wait = lastSentAt + minIntervalMs - performance.now();
    if (wait > 0) {
      setTimeout(sendNext, wait);
      return;
    }
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    grab.width = Math.round(video.videoWidth * scale);
    grab.height = Math.round(video.videoHeight * scale);
    grab.getContext("2d").drawImage(video, 0, 0, grab.width, grab.height);
    const image = grab.toDataURL("image/jpeg", JPEG_QUALITY);
    inFlight = true;
    sentAt = lastSentAt = performance.now();
    seq += 1;
    socket.send(JSON.stringify({ type: "frame", seq: seq, t: sentAt, image: image }));
  }

  function onResult(message) {
    inFlight = false;
    const now = performance.now();
    latencies.push(now - sentAt);
    if (latencies.length > 30) latencies.shift();
    resultTimes.push(now);
    resultTimes = resultTimes.filter((t) => now - t <= 2000);
    results += 1;
    $("stat-results").textContent = results;
    $("stat-latency").textContent = Math.round(median(latencies));
    $("stat-rate").textContent = resultTimes.length > 1
      ? ((resultTimes.length - 1) / ((now - resultTimes[0]) / 1000)).toFixed(1) : "–";
    $("stat-server").textContent = Math.round(message.server_ms);
    $("stat-faces").textContent = message.faces.length;
    drawOverlay(message);
    showFaces(message.faces);
    remember(message, now);
    sendNext();
  }

  function onError(message) {
    if (message.seq === seq) inFlight = false;
    if (message.code === "busy" || message.code === "rate_limited") {
      setTimeout(sendNext, message.retry_after_ms || 50);
      return;
    }
    showError(message.message);
    if (message.code !== "login_required") sendNext();
  }

  function median(values) {
    const sorted = values.slice().sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
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
    const scale = width / message.width;
    message.faces.forEach((face) => {
      const [x, y, w, h] = face.box;
      // the video is shown mirrored, like a mirror; the boxes follow it
      const left = width - (x + w) * scale;
      const top = y * scale;
      const color = COLORS[face.label] || "#ffffff";
      ctx.lineWidth = 3;
      ctx.strokeStyle = color;
      ctx.strokeRect(left, top, w * scale, h * scale);
      drawLabel(ctx, face, left, top, color);
      drawBars(ctx, face, left + w * scale + 6 + 92 <= width ? left + w * scale + 6 : Math.max(0, left - 98), top);
    });
  }

  function drawLabel(ctx, face, left, top, color) {
    const text = face.label + " " + Math.round(face.confidence * 100) + "%";
    ctx.font = "600 15px system-ui, sans-serif";
    const textWidth = ctx.measureText(text).width;
    const y = Math.max(0, top - 26);
    ctx.fillStyle = color;
    ctx.fillRect(left, y, textWidth + 34, 24);
    ctx.font = "16px " + EMOJI_FONT;
    ctx.textBaseline = "middle";
    ctx.fillText(face.emoji, left + 5, y + 12);
    ctx.font = "600 15px system-ui, sans-serif";
    ctx.fillStyle = face.label === "happy" ? "#212529" : "#ffffff";
    ctx.fillText(text, left + 27, y + 12);
  }

  function drawBars(ctx, face, left, top) {
    const rowHeight = 13;
    ctx.fillStyle = "rgba(0, 0, 0, 0.55)";
    ctx.fillRect(left, top, 92, EMOTIONS.length * rowHeight + 6);
    EMOTIONS.forEach((emotion, i) => {
      const y = top + 3 + i * rowHeight;
      ctx.font = "11px " + EMOJI_FONT;
      ctx.textBaseline = "top";
      ctx.fillText(emotion.emoji, left + 3, y);
      ctx.fillStyle = "rgba(255, 255, 255, 0.18)";
      ctx.fillRect(left + 20, y + 2, 68, 8);
      ctx.fillStyle = COLORS[emotion.name];
      ctx.fillRect(left + 20, y + 2, 68 * (face.probabilities[emotion.name] || 0), 8);
      ctx.fillStyle = "rgba(0, 0, 0, 0.55)";
    });
  }

  // Face panels -----------------------------------------------------------------------------

  function showFaces(faces) {
    const container = $("face-panels");
    $("no-face-note").classList.toggle("d-none", faces.length > 0);
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
        borderColor: COLORS[emotion.name],
        backgroundColor: COLORS[emotion.name],
        borderWidth: 2,
        pointRadius: 0,
        tension: 0.2,
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
        tooltip: { callbacks: { label: (item) => item.dataset.label + ": " + item.parsed.y.toFixed(0) + "%" } },
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
    }
    history = history.filter((point) => t - point.t <= WINDOW_S);
    if (now - lastChartAt < CHART_EVERY_MS) return;
    lastChartAt = now;
    chart.data.datasets.forEach((dataset, i) => {
      const name = EMOTIONS[i].name;
      dataset.data = history.map((point) => ({ x: point.t - t, y: 100 * (point.values[name] || 0) }));
    });
    chart.update("none");
  }

  // Recording ---------------------------------------------------------------------------------

  function setRecording(on) {
    recordingStartedAt = on ? performance.now() : null;
    $("recording-badge").classList.toggle("d-none", !on);
    recordButton.classList.toggle("btn-danger", on);
    recordButton.classList.toggle("btn-outline-danger", !on);
    recordButton.querySelector(".record-label").textContent = on ? "Stop and save" : "Record emotions";
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
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "record", action: recordingStartedAt === null ? "start" : "stop" }));
  });
  startButton.addEventListener("click", startCamera);
  stopButton.addEventListener("click", stopCamera);
  window.addEventListener("resize", clearOverlay);
})();
