// RecordingUpload: the study viewer's webcam video, recorded only when they agreed to keep
// it, and uploaded second by second while it records. Leaving the page loses only what had
// not been uploaded yet (usually the last second or two); coming back to the ad starts a new
// part (a new id) that the server keeps beside the first. Each chunk says where in its part it
// starts (offset), so a chunk sent again after a lost answer is stored once. The recording
// pauses with the ad, so it lines up with the ad. Server side: studies.services.viewer_recording_append.
(function () {
  "use strict";

  const TIMESLICE_MS = 1000;
  const FIRST_RETRY_MS = 2000;
  const LONGEST_RETRY_MS = 30000;
  const REQUEST_TIMEOUT_MS = 60000;
  // a backlog after a network gap goes up in requests of at most this many seconds
  const MAX_CHUNKS_PER_REQUEST = 10;
  // answers worth trying again; any other 4xx (no consent, finished, too long, bytes lost: 409) ends
  // the recording
  const RETRYABLE = new Set([408, 429]);

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // A signal that aborts a request after ms (AbortSignal.timeout is missing before Safari 16).
  function timeoutSignal(ms) {
    if (AbortSignal.timeout) return AbortSignal.timeout(ms);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), ms);
    return controller.signal;
  }

  function newPartId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    // crypto.randomUUID exists only on https pages; a version-4 UUID from random bytes otherwise
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  class RecordingUpload {
    constructor(options) {
      this.url = options.url;
      this.csrfToken = options.csrfToken;
      this.onStored = options.onStored || (() => {});
      this.onRefused = options.onRefused || (() => {});
      this.recorder = null;
      this.pending = [];
      this.sent = 0;
      this.refused = false;
      this.uploading = null;
    }

    // Starts recording the camera stream; false where the browser cannot record.
    start(camera, startMs) {
      if (typeof MediaRecorder === "undefined") return false;
      try {
        this.recorder = new MediaRecorder(camera, { mimeType: "video/webm" });
      } catch (error) {
        this.recorder = null;
        return false;
      }
      this.partId = newPartId();
      this.startMs = Math.max(0, Math.round(startMs));
      this.recorder.ondataavailable = (event) => {
        if (!event.data.size || this.refused) return;
        this.pending.push(event.data);
        this.flush();
      };
      this.recorder.start(TIMESLICE_MS);
      return true;
    }

    flush() {
      if (!this.uploading) {
        this.uploading = this.sendPending().finally(() => {
          this.uploading = null;
          // a chunk that arrived as the loop ended
          if (this.pending.length && !this.refused) this.flush();
        });
      }
      return this.uploading;
    }

    async sendPending() {
      let retryMs = FIRST_RETRY_MS;
      while (this.pending.length && !this.refused) {
        if (await this.sendOnce()) {
          retryMs = FIRST_RETRY_MS;
        } else if (!this.refused) {
          await sleep(retryMs);
          retryMs = Math.min(2 * retryMs, LONGEST_RETRY_MS);
        }
      }
    }

    // One request with the oldest pending chunks; true when the server stored them.
    async sendOnce() {
      const count = Math.min(this.pending.length, MAX_CHUNKS_PER_REQUEST);
      const blob = new Blob(this.pending.slice(0, count), { type: "video/webm" });
      const body = new FormData();
      body.append("part", this.partId);
      body.append("offset", String(this.sent));
      body.append("start_ms", String(this.startMs));
      body.append("recording", blob, "webcam.webm");
      let response;
      try {
        response = await fetch(this.url, {
          method: "POST", body: body, headers: { "X-CSRFToken": this.csrfToken },
          signal: timeoutSignal(REQUEST_TIMEOUT_MS),
        });
      } catch (error) {
        return false; // offline or timed out: the chunks wait for the next try
      }
      if (response.ok) {
        this.pending.splice(0, count);
        this.sent += blob.size;
        this.onStored(this.sent);
        return true;
      }
      if (response.status < 500 && !RETRYABLE.has(response.status)) this.refuse();
      return false;
    }

    // The server will take no more of this recording: stop recording what would be thrown away.
    refuse() {
      this.refused = true;
      this.pending = [];
      if (this.recorder && this.recorder.state !== "inactive") this.recorder.stop();
      this.onRefused();
    }

    pause() {
      if (this.recorder && this.recorder.state === "recording") this.recorder.pause();
    }

    resume() {
      if (this.recorder && this.recorder.state === "paused") this.recorder.resume();
    }

    // Stops recording and waits, at most timeoutMs, for the last chunks to be stored.
    async stop(timeoutMs) {
      if (!this.recorder) return;
      const deadline = Date.now() + timeoutMs;
      if (this.recorder.state !== "inactive") {
        const stopped = new Promise((resolve) => {
          this.recorder.onstop = resolve; // the last dataavailable comes before it
        });
        this.recorder.stop();
        await Promise.race([stopped, sleep(timeoutMs)]);
      }
      while (this.pending.length && !this.refused && Date.now() < deadline) {
        await Promise.race([this.flush(), sleep(200)]);
      }
    }
  }

  window.RecordingUpload = RecordingUpload;
})();
