// Live job cards: follow each unfinished analysis over its WebSocket
// (/ws/jobs/<id>/) and poll status.json as a fallback, then swap in the
// server-rendered result and draw its charts: one horizontal bar chart per
// face of a photo, an emotion-over-time line chart of a video, one face track at a time.
// Videos also show frames done, frames/s and the time left while they run.
(function () {
  "use strict";

  // Fast polls first (most images finish within seconds), slower after that.
  const POLL_MS_FAST = 500;
  const POLL_MS_SLOW = 1500;
  const FAST_POLLS = 20;
  // Once the socket has proven it delivers pushes, polling is only a safety net.
  const POLL_MS_WITH_PUSHES = 5000;
  const POLL_MS_AFTER_ERROR = 3000;
  const TERMINAL = new Set(["succeeded", "failed"]);
  const STATUS_TEXT = { queued: "Waiting for a worker…", running: "Analysing faces…" };
  const VIDEO_STATUS_TEXT = { queued: "Waiting for a worker…", running: "Analysing frames…" };
  const BADGE_CLASS = {
    queued: "text-bg-secondary",
    running: "text-bg-primary",
    succeeded: "text-bg-success",
    failed: "text-bg-danger",
  };
  const EMOTION_COLORS = window.FER_EMOTION_COLORS;
  // A video's progress is said at each quarter: its figures change about once a second.
  const ANNOUNCE_STEP = 25;

  // A video's emotions over time: one chart showing one face track at a time (seven lines stay
  // readable, 7 x N would not), picked with the track selector above it. The emotions hidden through
  // the legend stay hidden when another track is picked, to compare the same lines across faces.
  function drawTimelineCharts(root) {
    root.querySelectorAll("canvas.video-timeline-chart[data-chart]").forEach((canvas) => {
      if (canvas.dataset.drawn) return;
      canvas.dataset.drawn = "1";
      const data = JSON.parse(canvas.dataset.chart);
      if (!data.tracks.length) return;
      const byId = new Map(data.tracks.map((track) => [String(track.track_id), track]));
      const select = canvas.closest(".video-chart")?.querySelector("select.video-track-select");
      if (select) {
        // Only the first few tracks are charted; the table still lists the others.
        Array.from(select.options).forEach((option) => {
          if (!byId.has(option.value)) {
            option.disabled = true;
            option.textContent += " (no chart)";
          }
        });
      }
      const trackFor = (id) => byId.get(String(id)) || data.tracks[0];
      let track = trackFor(select ? select.value : data.tracks[0].track_id);
      if (select) select.value = String(track.track_id);
      const points = (name) => track.times.map((time, i) => ({ x: time, y: track.values[name][i] }));
      const label = () => "Probability of each emotion over time, face track #" + track.track_id;
      canvas.setAttribute("aria-label", label());
      // the chart's figures in words, for the track shown
      const table = canvas.closest(".video-chart")?.querySelector("details.chart-data");
      const fillTable = () => {
        if (!table) return;
        FER_FILL_CURVE_TABLE(table, {
          caption: label() + ", per second (%)", times: track.times, values: track.values,
          names: data.emotions, labels: data.labels,
        });
      };
      fillTable();
      // the wrap's width: the canvas itself is still at its default 300 px before Chart.js sizes it
      const boxWidth = FER_EMOTION_LEGEND_BOX_WIDTH(canvas.parentElement);
      const chart = new Chart(canvas, {
        type: "line",
        data: {
          datasets: data.emotions.map((name) => ({
            label: data.labels[name],
            data: points(name),
            ...FER_EMOTION_LINE(name), // colour, dashes and markers
            borderWidth: 2,
            tension: 0.25,
          })),
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          parsing: true,
          interaction: { mode: "index", intersect: false },
          plugins: {
            // roomier legend entries on a phone: each one is a tap target that hides or shows its line
            legend: { labels: FER_EMOTION_LEGEND_LABELS(boxWidth, { padding: boxWidth < 40 ? 12 : 10 }) },
            tooltip: { usePointStyle: true, callbacks: { label: (item) => item.dataset.label + ": " + item.parsed.y.toFixed(1) + "%" } },
          },
          scales: {
            x: {
              type: "linear",
              min: 0,
              max: data.duration_s || undefined,
              title: { display: true, text: "time (s)" },
              // the last tick sits at the exact duration: show it like the others
              ticks: { callback: (value) => Math.round(value * 10) / 10 },
            },
            y: { min: 0, max: 100, ticks: { callback: (value) => value + "%" } },
          },
        },
      });
      if (!select) return;
      select.addEventListener("change", () => {
        track = trackFor(select.value);
        chart.data.datasets.forEach((dataset, i) => { dataset.data = points(data.emotions[i]); });
        chart.update();
        canvas.setAttribute("aria-label", label());
        fillTable();
      });
    });
  }

  function drawCharts(root) {
    if (typeof Chart === "undefined") return;
    drawTimelineCharts(root);
    root.querySelectorAll("canvas.face-chart[data-chart]").forEach((canvas) => {
      if (canvas.dataset.drawn) return;
      canvas.dataset.drawn = "1";
      const data = JSON.parse(canvas.dataset.chart);
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{
            data: data.values,
            backgroundColor: data.emotions.map((name) => EMOTION_COLORS[name] || "#6c757d"),
            borderRadius: 4,
            barPercentage: 0.8,
          }],
        },
        options: {
          indexAxis: "y",
          maintainAspectRatio: false,
          animation: false,
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: (item) => item.parsed.x.toFixed(1) + "%" } },
          },
          scales: {
            x: { min: 0, max: 100, ticks: { callback: (value) => value + "%" } },
            y: { grid: { display: false } },
          },
        },
      });
    });
  }

  // The upload's "Analysing N files…" note would read as still busy after the last result:
  // once every card on the page has finished, it says so.
  function settleUploadNote() {
    const note = document.querySelector(".upload-started-note .message-text");
    if (!note) return;
    const cards = Array.from(document.querySelectorAll(".job-card[data-job-id]"));
    if (!cards.every((card) => TERMINAL.has(card.dataset.jobStatus) || card.dataset.jobStatus === "deleted")) return;
    const failed = cards.filter((card) => card.dataset.jobStatus === "failed").length;
    let tone = "success";
    if (failed === 0) {
      note.textContent = cards.length === 1 ? "Finished: the result is below." : "All " + cards.length + " finished: the results are below.";
    } else if (failed === cards.length) {
      tone = "danger";
      note.textContent = cards.length === 1 ? "This file could not be analysed: the reason is below."
        : "None of the " + cards.length + " files could be analysed: the reasons are below.";
    } else {
      tone = "warning";
      note.textContent = "All " + cards.length + " finished, but " + failed + " could not be analysed: the reasons are below.";
    }
    const alert = note.closest(".alert");
    alert.classList.remove("alert-success", "alert-warning", "alert-danger");
    alert.classList.add("alert-" + tone);
  }

  // Closing a socket that is still connecting makes the browser warn in the console;
  // a job that finished at once does that, so wait for the connection first.
  function closeSocket(socket) {
    if (!socket) return;
    if (socket.readyState === WebSocket.CONNECTING) socket.addEventListener("open", () => socket.close());
    else socket.close();
  }

  class JobCard {
    constructor(element) {
      this.element = element;
      this.jobId = element.dataset.jobId;
      this.statusUrl = element.dataset.statusUrl;
      this.resultUrl = element.dataset.resultUrl;
      this.socket = null;
      this.socketMessages = 0;
      this.polls = 0;
      this.timer = null;
      this.finished = false;
      this.announcedStep = this.progressStep(Number(element.dataset.jobProgress) || 0);
    }

    progressStep(percent) {
      return Math.floor(percent / ANNOUNCE_STEP) * ANNOUNCE_STEP;
    }

    // Into the card's status region: screen readers say it once, whatever else changes on the card.
    announce(text) {
      const region = this.element.querySelector(".job-announce");
      if (region) region.textContent = text;
    }

    name() {
      const link = this.element.querySelector("header a");
      return link ? link.textContent.trim() : "The analysis";
    }

    announceProgress(percent) {
      if (this.element.dataset.jobKind !== "video") return;
      const step = this.progressStep(percent);
      if (step <= this.announcedStep || step >= 100) return; // the end is said by finish()
      this.announcedStep = step;
      this.announce(this.name() + ": " + step + " % analysed.");
    }

    // The batch page says "3 of 5 finished" itself (batch-progress.js); elsewhere each card says it.
    announceEnd(status) {
      if (document.getElementById("batch-overview")) return;
      this.announce(this.name() + (status === "failed" ? ": the analysis failed." : ": the analysis finished, the result is below."));
    }

    start() {
      if (TERMINAL.has(this.element.dataset.jobStatus)) {
        drawCharts(this.element);
        settleUploadNote();
        return;
      }
      this.openSocket();
      this.poll();
    }

    openSocket() {
      if (!("WebSocket" in window)) return;
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      try {
        this.socket = new WebSocket(scheme + "//" + window.location.host + "/ws/jobs/" + this.jobId + "/");
      } catch (error) {
        return;
      }
      // The consumer sends the current state on connect; only later messages prove
      // that the worker's progress reaches us (the in-memory layer never does).
      const forget = () => { this.socketMessages = 0; };
      this.socket.addEventListener("close", forget);
      this.socket.addEventListener("error", forget);
      this.socket.addEventListener("message", (event) => {
        let message;
        try { message = JSON.parse(event.data); } catch (error) { return; }
        if (message.type !== "job.progress") return;
        this.socketMessages += 1;
        this.showProgress(message.status, message.progress, message.detail);
        if (TERMINAL.has(message.status)) this.poll();
      });
    }

    schedule(delayMs) {
      clearTimeout(this.timer);
      if (!this.finished) this.timer = setTimeout(() => this.poll(), delayMs);
    }

    async poll() {
      if (this.finished) return;
      try {
        const response = await fetch(this.statusUrl, { headers: { Accept: "application/json" }, cache: "no-store" });
        if (response.status === 404) {
          this.showDeleted();
          return;
        }
        if (!response.ok) throw new Error("status " + response.status);
        const status = await response.json();
        this.showProgress(status.status, status.progress, status.progress_detail);
        if (TERMINAL.has(status.status)) {
          await this.finish(status);
          return;
        }
        this.polls += 1;
        this.schedule(this.nextPollDelay());
      } catch (error) {
        this.schedule(POLL_MS_AFTER_ERROR);
      }
    }

    nextPollDelay() {
      if (this.socketMessages >= 2) return POLL_MS_WITH_PUSHES;
      return this.polls < FAST_POLLS ? POLL_MS_FAST : POLL_MS_SLOW;
    }

    showDetail(detail) {
      const line = this.element.querySelector(".job-progress-detail");
      if (!line || !detail) return;
      const parts = [];
      if (detail.frames_total) parts.push((detail.frames_done || 0) + " / " + detail.frames_total + " frames");
      if (detail.frames_per_s) parts.push(Number(detail.frames_per_s).toFixed(1) + " frames/s");
      if (detail.seconds_left !== null && detail.seconds_left !== undefined) {
        parts.push(Math.round(detail.seconds_left) + " s left");
      }
      line.textContent = parts.join(" · ");
    }

    showProgress(status, progress, detail) {
      this.element.dataset.jobStatus = status;
      const badge = this.element.querySelector('[data-role="status-badge"]');
      if (badge) {
        badge.className = "badge rounded-pill status-badge " + (BADGE_CLASS[status] || "text-bg-secondary");
        badge.textContent = status.charAt(0).toUpperCase() + status.slice(1);
      }
      const bar = this.element.querySelector(".progress-bar");
      if (!bar) return;
      const percent = Math.max(0, Math.min(100, Number(progress) || 0));
      bar.style.width = percent + "%";
      bar.parentElement.setAttribute("aria-valuenow", String(percent));
      const percentText = this.element.querySelector(".job-progress-percent");
      if (percentText) percentText.textContent = percent + "%";
      this.announceProgress(percent);
      const text = this.element.querySelector(".job-progress-text");
      const texts = this.element.dataset.jobKind === "video" ? VIDEO_STATUS_TEXT : STATUS_TEXT;
      if (text && texts[status]) text.textContent = texts[status];
      this.showDetail(detail);
    }

    // Deleted in another tab or window (or the batch with it): stop asking and say so.
    showDeleted() {
      this.finished = true;
      this.element.dataset.jobStatus = "deleted";
      clearTimeout(this.timer);
      closeSocket(this.socket);
      const badge = this.element.querySelector('[data-role="status-badge"]');
      if (badge) {
        badge.className = "badge rounded-pill status-badge text-bg-secondary";
        badge.textContent = "Deleted";
      }
      const body = this.element.querySelector(".job-card-body");
      const alert = document.createElement("div");
      alert.className = "alert alert-secondary mb-0 job-deleted";
      alert.textContent = "This analysis was deleted, with its upload and results.";
      body.replaceChildren(alert);
      settleUploadNote();
    }

    async finish(status) {
      if (this.finished) return;
      this.finished = true;
      clearTimeout(this.timer);
      closeSocket(this.socket);
      const body = this.element.querySelector(".job-card-body");
      try {
        const response = await fetch(status.result_html_url, { cache: "no-store" });
        if (!response.ok) throw new Error("status " + response.status);
        body.innerHTML = await response.text();
        drawCharts(body);
        this.announceEnd(status.status);
      } catch (error) {
        body.innerHTML = "";
        const alert = document.createElement("div");
        alert.className = "alert alert-warning mb-0";
        alert.textContent = "The analysis finished but its result could not be loaded. Reload the page to see it.";
        body.append(alert);
        this.announce(alert.textContent);
      }
      settleUploadNote();
    }
  }

  document.querySelectorAll(".job-card[data-job-id]").forEach((element) => new JobCard(element).start());
})();
