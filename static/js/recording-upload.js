// RecordingUpload: the study viewer's webcam video, recorded only when they agreed to keep
// it, and uploaded second by second while it records. Leaving the page loses at most the
// last second; coming back to the ad starts a new part (a new id) that the server keeps
// beside the first. Each chunk says where in its part it starts (offset), so a chunk sent
// again after a lost answer is stored once. Server side: studies.services.viewer_recording_append.
(function () {
  "use strict";

  const TIMESLICE_MS = 1000;
  const RETRY_MS = 2000;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
        if (!event.data.size) return;
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
      while (this.pending.length && !this.refused) {
        if (!(await this.sendOnce())) await sleep(RETRY_MS);
      }
    }

    // One request with everything pending; true when the server stored it.
    async sendOnce() {
      const count = this.pending.length;
      const blob = new Blob(this.pending.slice(0, count), { type: "video/webm" });
      const body = new FormData();
      body.append("part", this.partId);
      body.append("offset", String(this.sent));
      body.append("start_ms", String(this.startMs));
      body.append("recording", blob, "webcam.webm");
      let response;
      try {
        response = await fetch(this.url, { method: "POST", body: body, headers: { "X-CSRFToken": this.csrfToken } });
      } catch (error) {
        return false; // offline for a moment: the chunks wait for the next try
      }
      if (response.ok) {
        this.pending.splice(0, count);
        this.sent += blob.size;
        this.onStored(this.sent);
        return true;
      }
      // a 4xx will not change by sending again (no consent, withdrawn, too large, bytes lost: 409)
      if (response.status < 500) this.refused = true;
      return false;
    }

    // Stops recording and waits, at most timeoutMs, for the last chunks to be stored.
    async stop(timeoutMs) {
      if (!this.recorder || this.recorder.state === "inactive") return;
      await new Promise((resolve) => {
        this.recorder.onstop = resolve; // the last dataavailable comes before it
        this.recorder.stop();
      });
      const deadline = Date.now() + timeoutMs;
      while (this.pending.length && !this.refused && Date.now() < deadline) {
        await Promise.race([this.flush(), sleep(200)]);
      }
    }
  }

  window.RecordingUpload = RecordingUpload;
})();
