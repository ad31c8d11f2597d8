// Batch page: poll the batch's status.json and keep the overall bar, the counts
// and the download button current. Each job card follows its own job (job-progress.js).
(function () {
  "use strict";

  const POLL_MS = 1000;
  const overview = document.getElementById("batch-overview");
  if (!overview) return;
  const bar = overview.querySelector(".batch-progress-bar");
  const download = overview.querySelector(".batch-download");
  let finished = Number(overview.querySelector(".batch-finished").textContent);

  // The status line is said when one more file has finished, not at every poll.
  function announce(batch) {
    if (batch.finished === finished) return;
    finished = batch.finished;
    let text = batch.finished + " of " + batch.total + " finished.";
    if (batch.is_finished) {
      text = "All " + batch.total + " finished: " + batch.counts.succeeded + " succeeded, " + batch.counts.failed + " failed.";
    }
    document.getElementById("batch-announce").textContent = text;
  }

  function show(batch) {
    const percent = Math.max(0, Math.min(100, Number(batch.progress) || 0));
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", String(percent));
    overview.querySelector(".batch-finished").textContent = batch.finished;
    overview.querySelector(".batch-succeeded").textContent = batch.counts.succeeded;
    overview.querySelector(".batch-failed").textContent = batch.counts.failed;
    announce(batch);
    if (batch.download_url) {
      download.classList.remove("disabled");
      download.removeAttribute("aria-disabled");
      download.removeAttribute("tabindex");
    }
    if (batch.is_finished) {
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      download.textContent = "Download all results (.zip)";
      overview.dataset.finished = "1";
    }
  }

  async function poll() {
    try {
      const response = await fetch(overview.dataset.statusUrl, { cache: "no-store" });
      if (response.ok) {
        const batch = await response.json();
        show(batch);
        if (batch.is_finished) return;
      }
    } catch (error) {
      // A dropped request is retried on the next tick.
    }
    setTimeout(poll, POLL_MS);
  }

  if (overview.dataset.finished !== "1") poll();
})();
