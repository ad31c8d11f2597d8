// Drives static/js/recording-upload.js in Node with a stand-in MediaRecorder and fetch (the
// browser's parts), and prints what each scenario sent as JSON for test_recording_upload.py.
"use strict";
const path = require("path");

global.window = {};
class FakeRecorder {
  constructor() { this.state = "inactive"; FakeRecorder.last = this; }
  start() { this.state = "recording"; }
  pause() { this.state = "paused"; }
  resume() { this.state = "recording"; }
  stop() {
    this.state = "inactive";
    this.ondataavailable({ data: new Blob(["end"]) });
    if (this.onstop) this.onstop();
  }
  emit(text) { this.ondataavailable({ data: new Blob([text]) }); }
}
global.MediaRecorder = FakeRecorder;
require(path.resolve(__dirname, "../../static/js/recording-upload.js"));

let answer = async () => ({ ok: true, status: 200 });
let requests = [];
global.fetch = async (url, init) => {
  const body = init.body;
  requests.push({ part: body.get("part"), offset: Number(body.get("offset")), start_ms: Number(body.get("start_ms")),
                  bytes: await body.get("recording").text() });
  return answer(requests.length);
};

function newUpload(events) {
  const upload = new window.RecordingUpload({
    url: "/v/session/x/recording/", csrfToken: "t",
    onStored: (bytes) => events.push("stored " + bytes), onRefused: () => events.push("refused"),
  });
  upload.start({}, 1234.4);
  return upload;
}

async function scenario(name, body) {
  requests = [];
  answer = async () => ({ ok: true, status: 200 });
  const events = [];
  const started = Date.now();
  const extra = await body(events);
  return [name, { requests, events, seconds: (Date.now() - started) / 1000, ...extra }];
}

(async () => {
  const results = Object.fromEntries([
    await scenario("in_order", async (events) => {
      const upload = newUpload(events);
      FakeRecorder.last.emit("aaa");
      await upload.flush();
      FakeRecorder.last.emit("bb");
      await upload.flush();
      return {};
    }),
    await scenario("network_error_then_ok", async (events) => {
      answer = async (n) => { if (n === 1) throw new TypeError("offline"); return { ok: true, status: 200 }; };
      const upload = newUpload(events);
      FakeRecorder.last.emit("aaa");
      await upload.flush();
      return {};
    }),
    await scenario("refused", async (events) => {
      answer = async () => ({ ok: false, status: 403 });
      const upload = newUpload(events);
      FakeRecorder.last.emit("aaa");
      await upload.flush();
      return { recorder: FakeRecorder.last.state, pending: upload.pending.length };
    }),
    await scenario("backlog", async (events) => {
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      answer = async (n) => { if (n === 1) await held; return { ok: true, status: 200 }; };
      const upload = newUpload(events);
      FakeRecorder.last.emit("x");
      for (let i = 0; i < 25; i++) FakeRecorder.last.emit("y"); // arrive while the first is in flight
      release();
      await upload.flush();
      while (upload.uploading || upload.pending.length) await upload.flush();
      return {};
    }),
    await scenario("stop_sends_the_last_chunk", async (events) => {
      const upload = newUpload(events);
      FakeRecorder.last.emit("aaa");
      upload.pause();
      const paused = FakeRecorder.last.state;
      upload.resume();
      await upload.stop(5000);
      return { paused, recorder: FakeRecorder.last.state };
    }),
  ]);
  process.stdout.write(JSON.stringify(results));
})();
