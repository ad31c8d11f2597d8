// The campaign page: segments drawn on the ad's timeline; drag across it to mark a
// new segment, click one (or its Edit button) to edit it; a click elsewhere seeks the
// ad. Also the Copy buttons of the invitation links.
(function () {
  "use strict";

  const app = document.getElementById("campaign-app");
  if (!app) return;
  const duration = Number(app.dataset.duration);
  const segments = JSON.parse(document.getElementById("segments-data").textContent);
  const COLORS = window.FER_EMOTION_COLORS;
  const timeline = document.getElementById("segment-timeline");
  const selection = timeline.querySelector(".timeline-selection");
  const playhead = timeline.querySelector(".timeline-playhead");
  const video = document.getElementById("ad-video");
  const form = document.querySelector(".segment-form");
  const title = document.querySelector(".segment-form-title");
  const resetButton = document.querySelector(".segment-form-reset");

  const percent = (seconds) => (100 * seconds / duration) + "%";

  const round = (seconds) => Math.round(seconds * 10) / 10;

  // One lane fills the bar; overlapping segments get a thinner lane each, the bar growing to fit them.
  const { lanes, laneOf } = window.FER_SEGMENT_LANES(segments);
  const laneRem = lanes === 1 ? 2.3 : 1.5;
  timeline.style.height = (0.7 + lanes * laneRem) + "rem";

  segments.forEach((segment) => {
    const block = document.createElement("button");
    block.type = "button";
    block.className = "timeline-segment";
    block.style.top = (0.35 + laneOf[segment.id] * laneRem) + "rem";
    block.style.height = (laneRem - (lanes === 1 ? 0 : 0.2)) + "rem";
    // A block in the ad's second half is held by its right end, so a name cut short, shown whole on
    // keyboard focus (app.css), grows to the left and stays on the timeline.
    if (segment.start_s + segment.end_s > duration) block.style.right = percent(duration - segment.end_s);
    else block.style.left = percent(segment.start_s);
    block.style.width = percent(segment.end_s - segment.start_s);
    // opaque, with dark or white text by contrast: white on the light ones (happy) was 2.3:1, and
    // see-through blocks lost 4.5:1 whatever the text
    const color = COLORS[segment.expected[0]] || "#6c757d";
    block.style.background = color;
    block.style.color = FER_TEXT_ON(color);
    const described = segment.name + " (" + segment.start_s.toFixed(1) + "–" + segment.end_s.toFixed(1) + " s): " + segment.expected.join(", ");
    block.title = described;
    // the times and emotions are said too, not only shown on hover
    block.setAttribute("aria-label", "Edit segment " + described);
    block.textContent = segment.name;
    block.addEventListener("pointerdown", (event) => event.stopPropagation());
    block.addEventListener("click", () => editSegment(segment));
    timeline.append(block);
  });

  function secondsAt(clientX) {
    const box = timeline.getBoundingClientRect();
    return Math.min(duration, Math.max(0, (clientX - box.left) / box.width * duration));
  }

  // Pointer events, so a finger drags as a mouse does (the CSS turns off touch scrolling here).
  let dragFrom = null;
  timeline.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    timeline.setPointerCapture(event.pointerId);
    dragFrom = secondsAt(event.clientX);
    selection.classList.remove("d-none");
    showSelection(dragFrom, dragFrom);
  });
  timeline.addEventListener("pointermove", (event) => {
    if (dragFrom !== null) showSelection(dragFrom, secondsAt(event.clientX));
  });
  timeline.addEventListener("pointercancel", () => {
    dragFrom = null;
    selection.classList.add("d-none");
  });
  timeline.addEventListener("pointerup", (event) => {
    if (dragFrom === null) return;
    const to = secondsAt(event.clientX);
    const from = dragFrom;
    dragFrom = null;
    if (Math.abs(to - from) < duration / 200) {
      selection.classList.add("d-none");
      video.currentTime = to; // a click: seek
      return;
    }
    newSegment(round(Math.min(from, to)), round(Math.max(from, to)));
  });

  function showSelection(a, b) {
    selection.style.left = percent(Math.min(a, b));
    selection.style.width = percent(Math.abs(b - a));
  }

  function field(name) {
    return form.querySelector('[name="' + name + '"]');
  }

  function newSegment(start, end) {
    resetForm();
    field("start_s").value = start;
    field("end_s").value = end;
    field("name").focus();
  }

  function resetForm() {
    form.action = app.dataset.segmentCreateUrl;
    title.textContent = "New segment";
    resetButton.classList.add("d-none");
    form.reset();
  }

  function editSegment(segment) {
    form.action = app.dataset.segmentUpdateUrl.replace(/\/0\/$/, "/" + segment.id + "/");
    title.textContent = "Edit “" + segment.name + "”";
    resetButton.classList.remove("d-none");
    field("name").value = segment.name;
    field("start_s").value = segment.start_s;
    field("end_s").value = segment.end_s;
    field("notes").value = segment.notes || "";
    form.querySelectorAll('[name="expected_emotions"]').forEach((box) => { box.checked = segment.expected.includes(box.value); });
    selection.classList.remove("d-none");
    showSelection(segment.start_s, segment.end_s);
    video.currentTime = segment.start_s;
    form.scrollIntoView({ behavior: "smooth", block: "nearest" });
    field("name").focus();
  }

  resetButton.addEventListener("click", () => { resetForm(); selection.classList.add("d-none"); });
  document.querySelectorAll(".segment-edit").forEach((button) => {
    button.addEventListener("click", () => editSegment(segments.find((s) => String(s.id) === button.dataset.segmentId)));
  });
  video.addEventListener("timeupdate", () => { playhead.style.left = percent(video.currentTime); });

  document.querySelectorAll(".copy-link").forEach((button) => {
    button.addEventListener("click", async () => {
      const input = button.parentElement.querySelector(".invitation-url");
      try {
        await navigator.clipboard.writeText(input.value);
      } catch (error) {
        input.select();
        document.execCommand("copy");
      }
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
      // emptied first, so a second copy of the same link is said again
      const status = document.getElementById("copy-status");
      status.textContent = "";
      setTimeout(() => { status.textContent = "Link copied to the clipboard."; }, 50);
    });
  });
})();
