// FrameStream: a <video>'s frames to the server's live analysis WebSocket, one at a time.
//
// Frames leave as downscaled JPEGs; the next one leaves only when the previous
// answer arrived (and no faster than maxFps), so nothing queues up and a busy
// server lowers the frame rate instead of raising the latency. Used by the live
// camera page and the study viewer's pages. See studies/live_protocol.py.
(function () {
  "use strict";

  const RECONNECT_MS = 2000;

  class FrameStream {
    constructor(options) {
      this.video = options.video;
      this.wsPath = options.wsPath;
      this.minIntervalMs = 1000 / (options.maxFps || 30);
      this.maxSide = options.maxSide || 640;
      this.quality = options.quality || 0.8;
      // extra fields for the next frame, or null to hold it back for now (the ad is paused...)
      this.fields = options.fields || (() => ({}));
      this.handlers = options;
      this.canvas = document.createElement("canvas");
      this.socket = null;
      this.ready = false;
      this.inFlight = false;
      this.seq = 0;
      this.sentAt = 0;
      this.lastSentAt = 0;
      this.results = 0;
      this.latencies = [];
      this.resultTimes = [];
      this.wanted = false;
    }

    start() {
      this.wanted = true;
      this.connect();
    }

    stop() {
      this.wanted = false;
      const socket = this.socket;
      this.socket = null;
      this.ready = false;
      this.inFlight = false;
      if (socket) socket.close(1000);
    }

    send(message) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify(message));
        return true;
      }
      return false;
    }

    get latencyMs() {
      if (!this.latencies.length) return null;
      const sorted = this.latencies.slice().sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    }

    get resultsPerSecond() {
      const times = this.resultTimes;
      return times.length > 1 ? (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000) : null;
    }

    connect() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const socket = new WebSocket(scheme + location.host + this.wsPath);
      this.socket = socket;
      this.state("Connecting…");
      socket.onopen = () => this.state("Loading the models…");
      socket.onmessage = (event) => this.handle(JSON.parse(event.data));
      socket.onclose = (event) => {
        if (this.socket !== socket) return; // closed on purpose
        this.ready = false;
        this.inFlight = false;
        if (event.code >= 4400 && event.code < 4500) {
          this.wanted = false; // refused (not allowed, login needed): retrying would not help
          this.state("Not allowed");
          return;
        }
        this.state("Reconnecting…");
        if (this.handlers.onDisconnect) this.handlers.onDisconnect();
        setTimeout(() => { if (this.wanted && this.socket === socket) this.connect(); }, RECONNECT_MS);
      };
    }

    state(text) {
      if (this.handlers.onState) this.handlers.onState(text);
    }

    handle(message) {
      if (message.type === "ready") {
        this.ready = true;
        // round trips and the result rate describe this connection, not one that stopped or dropped
        this.latencies = [];
        this.resultTimes = [];
        this.state("Live");
        if (this.handlers.onReady) this.handlers.onReady(message);
        this.sendNext();
      } else if (message.type === "result") {
        this.inFlight = false;
        const now = performance.now();
        this.latencies.push(now - this.sentAt);
        if (this.latencies.length > 30) this.latencies.shift();
        this.resultTimes.push(now);
        this.resultTimes = this.resultTimes.filter((t) => now - t <= 2000);
        this.results += 1;
        if (this.handlers.onResult) this.handlers.onResult(message);
        this.sendNext();
      } else if (message.type === "error") {
        if (message.seq === this.seq) this.inFlight = false;
        if (message.code === "busy" || message.code === "rate_limited") {
          setTimeout(() => this.sendNext(), message.retry_after_ms || 50);
          return;
        }
        if (this.handlers.onError) this.handlers.onError(message);
        this.sendNext();
      } else if (this.handlers.onMessage) {
        this.handlers.onMessage(message);
      }
    }

    sendNext() {
      if (!this.ready || this.inFlight || !this.socket || this.socket.readyState !== WebSocket.OPEN) return;
      const video = this.video;
      const extra = this.fields();
      if (video.readyState < 2 || !video.videoWidth || extra === null) {
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.sendNext(), 100);
        return;
      }
      const wait = this.lastSentAt + this.minIntervalMs - performance.now();
      if (wait > 0) {
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.sendNext(), wait);
        return;
      }
      const scale = Math.min(1, this.maxSide / Math.max(video.videoWidth, video.videoHeight));
      this.canvas.width = Math.round(video.videoWidth * scale);
      this.canvas.height = Math.round(video.videoHeight * scale);
      this.canvas.getContext("2d").drawImage(video, 0, 0, this.canvas.width, this.canvas.height);
      const image = this.canvas.toDataURL("image/jpeg", this.quality);
      this.inFlight = true;
      this.sentAt = this.lastSentAt = performance.now();
      this.seq += 1;
      this.socket.send(JSON.stringify(Object.assign({ type: "frame", seq: this.seq, t: this.sentAt, image: image }, extra)));
    }
  }

  // Why the camera could not start, in words a person can act on.
  FrameStream.cameraErrorText = function (error) {
    switch (error && error.name) {
      case "InsecureContext":
        return error.message;
      case "NotAllowedError":
      case "SecurityError":
        return "Camera access was refused. Allow the camera for this site (the camera icon in the address bar), then try again.";
      case "NotFoundError":
      case "OverconstrainedError":
        return "No camera was found. Connect a camera, then try again.";
      case "NotReadableError":
        return "The camera is in use by another application. Close it, then try again.";
      default:
        return "The camera could not be started: " + ((error && error.message) || "unknown error") + ".";
    }
  };

  // The webcam, or a thrown error whose text cameraErrorText explains.
  FrameStream.openCamera = async function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      const error = new Error("This browser can use the camera only on a secure page: open the site over https:// (or on localhost).");
      error.name = "InsecureContext";
      throw error;
    }
    return navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  };

  window.FrameStream = FrameStream;
})();
