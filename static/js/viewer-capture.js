// The study viewer's pages. "check": the webcam preview with live answers from the
// server (nothing stored) until a face is seen in good light. "watch": the ad plays
// once; every frame sent while it plays carries the ad's playback time (ad_ms), and
// the server stores the emotion scores; pauses, tab switches and the end are handled.
// Coming back to the watch page (from the withdraw page, a reload) continues the ad
// where this viewer's stored samples end (data-resume-ms) instead of replaying it.
(function () {
  "use strict";

  // At the end of the ad the viewer waits at most this long for the last seconds of a recording to upload.
  const RECORDING_SAVE_WAIT_MS = 15000;

  const app = document.getElementById("viewer-app");
  if (!app) return;
  const $ = (id) => document.getElementById(id);
  const cameraVideo = $("camera-video");
  let camera = null;

  function showError(text) {
    const box = $("viewer-error");
    box.textContent = text;
    box.classList.toggle("d-none", !text);
  }

  async function openCamera() {
    camera = await FrameStream.openCamera();
    cameraVideo.srcObject = camera;
    await cameraVideo.play().catch(() => {});
    return camera;
  }

  function stopCamera() {
    if (camera) camera.getTracks().forEach((track) => track.stop());
    camera = null;
  }

  // Results come several times a second; rewriting a live region (or a badge) with the same words
  // each time makes screen readers say them again and again. Only a change is written.
  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  function csrfToken() {
    const input = document.querySelector('[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  // Camera check -------------------------------------------------------------------------------

  function check() {
    const recent = [];
    const light = document.createElement("canvas");
    light.width = 64;
    light.height = 48;
    const continueButton = $("check-continue");
    const retry = $("camera-retry");

    function setState(id, ok, text) {
      const state = $(id).querySelector(".check-state");
      setText(state, text);
      state.className = "check-state fw-semibold " + (ok === null ? "text-body-secondary" : ok ? "text-success" : "text-danger");
    }

    function brightness() {
      const ctx = light.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(cameraVideo, 0, 0, light.width, light.height);
      const pixels = ctx.getImageData(0, 0, light.width, light.height).data;
      let sum = 0;
      for (let i = 0; i < pixels.length; i += 4) sum += 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2];
      return sum / (pixels.length / 4);
    }

    const stream = new FrameStream({
      video: cameraVideo,
      wsPath: app.dataset.wsPath,
      maxFps: Number(app.dataset.maxFps) || 10,
      onResult: (message) => {
        recent.push(message.faces.length > 0);
        if (recent.length > 10) recent.shift();
        const seen = recent.filter(Boolean).length;
        const faceOk = seen >= 5;
        setState("check-face", faceOk, faceOk ? "yes" : (recent.length < 5 ? "looking…" : "not yet"));
        const level = brightness();
        const lightOk = level >= 60 && level <= 210;
        setState("check-light", lightOk, level < 60 ? "too dark" : level > 210 ? "too bright" : "good");
        setText($("check-hint"), !faceOk ? "Move so your whole face is in the picture, facing the screen."
          : level < 60 ? "Turn on a light in front of you, or face a window." : level > 210 ? "Avoid a bright light or window behind you." : "All set.");
        continueButton.disabled = !faceOk;
      },
      onError: (message) => showError(message.message),
    });

    async function start() {
      showError("");
      retry.classList.add("d-none");
      try {
        await openCamera();
      } catch (error) {
        setState("check-camera", false, "off");
        showError(FrameStream.cameraErrorText(error));
        retry.classList.remove("d-none");
        return;
      }
      setState("check-camera", true, "on");
      stream.start();
    }

    continueButton.addEventListener("click", () => {
      stream.stop();
      stopCamera();
      location.href = app.dataset.nextUrl;
    });
    retry.addEventListener("click", start);
    start();
  }

  // Watching the ad ----------------------------------------------------------------------------

  function watch() {
    const ad = $("ad-video");
    const overlay = $("ad-overlay");
    const overlayText = $("ad-overlay-text");
    const startButton = $("ad-start");
    const stage = $("ad-stage");
    const badge = $("face-badge");
    let started = false;
    let finishing = false;
    // a second viewing is no first reaction: never play a moment this viewer already watched
    const resumeAt = (Number(app.dataset.resumeMs) || 0) / 1000;
    let furthest = resumeAt;
    const recording = app.dataset.recordingUrl ? new RecordingUpload({
      url: app.dataset.recordingUrl,
      csrfToken: csrfToken(),
      onStored: (bytes) => { app.dataset.recordingStoredBytes = String(bytes); },
      onRefused: () => $("recording-badge").classList.add("d-none"),
    }) : null;

    const playing = () => started && !ad.paused && !ad.ended && !document.hidden;

    const stream = new FrameStream({
      video: cameraVideo,
      wsPath: app.dataset.wsPath,
      maxFps: Number(app.dataset.maxFps) || 10,
      // frames are stamped with where the ad is; none leave while it is not playing
      fields: () => (playing() ? { ad_ms: Math.round(ad.currentTime * 1000) } : null),
      onReady: () => {
        if (started) return;
        startButton.disabled = false;
        // no frame is analysed before the ad starts, so no result will say more than this yet
        badge.textContent = "camera on";
      },
      onResult: (message) => {
        const seen = message.faces.length > 0;
        setText(badge, seen ? "face visible" : "face not visible");
        const look = "badge position-absolute top-0 start-0 m-2 " + (seen ? "text-bg-success" : "text-bg-warning");
        if (badge.className !== look) badge.className = look;
      },
      onError: (message) => showError(message.message),
      onMessage: (message) => {
        if (message.type === "finished") {
          stream.stop();
          stopCamera();
          location.href = message.url;
        }
      },
    });

    // The overlay's text is a status region, so the pause or "Saving…" is heard; its button takes
    // the focus, so Enter or Space continues without hunting for it.
    function showOverlay(text, buttonText) {
      overlayText.textContent = text;
      startButton.textContent = buttonText || "";
      startButton.classList.toggle("d-none", !buttonText);
      overlay.classList.remove("d-none");
      overlay.classList.add("d-flex");
      if (buttonText) startButton.focus();
    }

    // The focused start button disappears with the overlay: the focus goes to the stage it covered,
    // not to the page's start.
    function hideOverlay() {
      const hadFocus = overlay.contains(document.activeElement);
      overlay.classList.add("d-none");
      overlay.classList.remove("d-flex");
      if (hadFocus) stage.focus({ preventScroll: true });
    }

    function showProgress() {
      const percent = 100 * ad.currentTime / (ad.duration || 1);
      $("ad-progress").style.width = percent + "%";
      $("ad-progress").parentElement.setAttribute("aria-valuenow", String(Math.round(percent)));
    }

    function seekToResumePoint() {
      if (resumeAt > 0 && ad.currentTime < resumeAt) ad.currentTime = Math.min(resumeAt, ad.duration || resumeAt);
      showProgress();
    }

    async function play() {
      if (ad.ended) {
        // watched to the end before leaving: play() would start it again from 0:00
        finish();
        return;
      }
      seekToResumePoint();
      try {
        await ad.play();
      } catch (error) {
        showOverlay("Your browser did not start the ad. Press the button to play it.", "Play the ad");
        return;
      }
      hideOverlay();
      if (!started) {
        started = true;
        startRecording();
      }
    }

    function startRecording() {
      if (recording && camera && recording.start(camera, ad.currentTime * 1000)) $("recording-badge").classList.remove("d-none");
    }

    async function finish() {
      if (finishing) return;
      finishing = true;
      showOverlay("Saving your answers…");
      if (recording) await recording.stop(RECORDING_SAVE_WAIT_MS);
      if (!stream.send({ type: "finish" })) {
        // the connection is gone: finish over HTTP (the server kept what had arrived)
        const body = new FormData();
        body.append("csrfmiddlewaretoken", csrfToken());
        const response = await fetch(app.dataset.finishUrl, { method: "POST", body: body });
        location.href = response.url;
      }
    }

    startButton.addEventListener("click", play);
    ad.addEventListener("timeupdate", () => {
      // no skipping ahead: every moment of the ad is watched
      if (ad.currentTime > furthest + 1) ad.currentTime = furthest;
      furthest = Math.max(furthest, ad.currentTime);
      showProgress();
    });
    // A wide ad on an upright phone fills a strip of the screen: the page suggests turning it (CSS).
    const noteShape = () => { app.dataset.adShape = ad.videoWidth > ad.videoHeight ? "wide" : "tall"; };
    const onMetadata = () => { noteShape(); seekToResumePoint(); };
    if (ad.readyState >= 1) onMetadata();
    else ad.addEventListener("loadedmetadata", onMetadata, { once: true });
    ad.addEventListener("ended", finish);
    if (recording) {
      // the recording follows the ad, so its parts line up with the ad's time
      const showPaused = (paused) => {
        $("recording-state").textContent = paused ? "recording paused" : "recording";
        $("recording-badge").classList.toggle("text-bg-secondary", paused);
        $("recording-badge").classList.toggle("text-bg-danger", !paused);
      };
      ad.addEventListener("pause", () => { recording.pause(); showPaused(true); });
      ad.addEventListener("play", () => { recording.resume(); showPaused(false); });
    }
    window.addEventListener("pageshow", (event) => {
      // restored from the back/forward cache ("Go back" on the withdraw page): its socket is
      // closed and its state old, so load it afresh; the server says where the ad continues
      if (event.persisted) location.reload();
    });
    document.addEventListener("visibilitychange", () => {
      if (document.hidden && started && !ad.ended) {
        ad.pause();
        showOverlay("Paused while you were away. Continue when you are ready.", "Continue");
      }
    });

    openCamera().then(() => stream.start()).catch((error) => {
      showError(FrameStream.cameraErrorText(error) + " The ad needs your camera.");
      showOverlay("The camera is needed to take part.");
    });
  }

  if (app.dataset.mode === "check") check();
  else watch();
})();
