// Campaign reports (report page, viewer drill-down, campaign comparison): emotion
// curves over the ad with a 95 % band, the segments shaded behind them, a playhead
// that follows the ad's player (a click on the chart seeks the ad), and bar charts
// comparing segments or campaigns. The data is the report JSON embedded in the page.
(function () {
  "use strict";

  const COLORS = window.FER_EMOTION_COLORS;
  const EMOTIONS = Object.keys(COLORS);

  function alpha(hex, a) {
    const n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }

  // The segment's name cut to the width of its shading ("Hook: the sp…"), or nothing when not even
  // two letters fit; squeezing it (fillText's maxWidth) made it unreadable on a phone.
  function fittedLabel(ctx, name, width) {
    if (ctx.measureText(name).width <= width) return name;
    for (let length = name.length - 1; length >= 2; length--) {
      const cut = name.slice(0, length).trimEnd() + "…";
      if (ctx.measureText(cut).width <= width) return cut;
    }
    return "";
  }

  const LANE_PX = 13;

  // Segments shaded behind the curves, with their names along the top: overlapping segments' names
  // one row below the other (options.lanes: segment-lanes.js, worked out once per chart).
  const segmentBoxes = {
    id: "segmentBoxes",
    beforeDatasetsDraw(chart, args, options) {
      const { ctx, chartArea, scales } = chart;
      const laneOf = options.lanes.laneOf;
      options.segments.forEach((segment) => {
        const left = scales.x.getPixelForValue(segment.start_s);
        const right = scales.x.getPixelForValue(segment.end_s);
        const color = COLORS[segment.expected[0]] || "#6c757d";
        ctx.save();
        ctx.fillStyle = alpha(color, options.highlight === segment.id ? 0.22 : 0.09);
        ctx.fillRect(left, chartArea.top, right - left, chartArea.bottom - chartArea.top);
        ctx.fillStyle = "#495057";
        ctx.font = "600 11px system-ui, sans-serif";
        ctx.textAlign = "center";
        ctx.fillText(fittedLabel(ctx, segment.name, right - left - 4), (left + right) / 2, chartArea.top + 12 + LANE_PX * laneOf[segment.id]);
        ctx.restore();
      });
    },
  };

  // Key moments marked along the top: a bar per peak in its emotion's colour, grey where attention dips.
  // The name is dark text with a swatch of that colour: yellow text on white was unreadable. Marks
  // whose bars or names would overlap (a peak where viewers also looked away) take a row each.
  const MARK_ROW_PX = 20;
  const momentMarks = {
    id: "momentMarks",
    afterDatasetsDraw(chart, args, options) {
      const moments = options.moments;
      if (!moments) return;
      const { ctx, chartArea, scales } = chart;
      const top = chartArea.top + LANE_PX * (chart.options.plugins.segmentBoxes.lanes.lanes - 1);
      const marks = moments.peaks.map((peak) => ({ peak: peak, color: COLORS[peak.emotion], label: peak.emotion }));
      if (moments.attention_dip) marks.push({ peak: moments.attention_dip, color: "#6c757d", label: "looked away" });
      ctx.save();
      ctx.font = "600 10px system-ui, sans-serif";
      ctx.textAlign = "center";
      marks.forEach((mark, i) => {
        mark.id = i;
        mark.left = scales.x.getPixelForValue(mark.peak.start_s);
        mark.right = scales.x.getPixelForValue(mark.peak.end_s);
        mark.text = fittedLabel(ctx, mark.label, mark.right - mark.left + 14);
        mark.center = (mark.left + mark.right) / 2 + 5; // the label and its swatch, centred together
        const half = ctx.measureText(mark.text).width / 2;
        // the pixels it takes, 4 px apart from the next
        mark.from_px = Math.min(mark.left, mark.text ? mark.center - half - 10 : Infinity) - 4;
        mark.to_px = Math.max(mark.right, mark.text ? mark.center + half : -Infinity);
      });
      const rowOf = window.FER_SEGMENT_LANES(marks, (mark) => [mark.from_px, mark.to_px]).laneOf;
      marks.forEach((mark) => {
        const y = top + MARK_ROW_PX * rowOf[mark.id];
        ctx.fillStyle = alpha(mark.color, 0.85);
        ctx.fillRect(mark.left, y + 17, mark.right - mark.left, 5); // under the segment names, above the curves
        if (!mark.text) return;
        ctx.fillStyle = mark.color;
        ctx.fillRect(mark.center - ctx.measureText(mark.text).width / 2 - 10, y + 25, 7, 7);
        ctx.fillStyle = "#212529";
        ctx.fillText(mark.text, mark.center, y + 33);
      });
      ctx.restore();
    },
  };

  // The ad player's position.
  const playhead = {
    id: "playhead",
    afterDatasetsDraw(chart, args, options) {
      if (!options.video) return;
      const { ctx, chartArea, scales } = chart;
      const x = scales.x.getPixelForValue(options.video.currentTime || 0);
      ctx.save();
      ctx.strokeStyle = "#dc3545";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.restore();
    },
  };

  function series(times, values) {
    return times.map((t, i) => ({ x: t, y: values[i] }));
  }

  // The curves chart; returns it with a setBand(emotion) method.
  function drawCurves(canvas, report, options) {
    options = options || {};
    const curves = report.curves;
    const band = { emotion: options.band || "happy" };
    const datasets = EMOTIONS.map((name) => ({
      label: name,
      data: series(curves.times_s, curves.emotions[name].mean),
      ...FER_EMOTION_LINE(name), // colour, dashes and markers
      borderWidth: 2,
      tension: 0.2,
      spanGaps: false,
    }));
    const low = { label: "band-low", data: [], borderWidth: 0, pointRadius: 0, fill: false };
    const high = { label: "band-high", data: [], borderWidth: 0, pointRadius: 0, fill: "-1" };
    datasets.push(low, high);

    function setBand(name) {
      band.emotion = name;
      low.data = series(curves.times_s, curves.emotions[name].low);
      high.data = series(curves.times_s, curves.emotions[name].high);
      high.backgroundColor = alpha(COLORS[name], 0.18);
    }
    setBand(band.emotion);

    const chart = new Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      plugins: [segmentBoxes, momentMarks, playhead],
      options: {
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        normalized: true,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: { type: "linear", min: 0, max: report.campaign.ad_duration_s, title: { display: true, text: "time in the ad (s)" } },
          y: { min: 0, max: 100, title: { display: true, text: "probability (%)" }, ticks: { callback: (v) => v + "%" } },
        },
        plugins: {
          legend: { labels: FER_EMOTION_LEGEND_LABELS(FER_EMOTION_LEGEND_BOX_WIDTH(canvas), { filter: (item) => !item.text.startsWith("band-") }) },
          tooltip: {
            usePointStyle: true, // each line's marker, not only its colour
            filter: (item) => !item.dataset.label.startsWith("band-"),
            callbacks: {
              title: (items) => items.length ? items[0].parsed.x.toFixed(2) + " s" : "",
              label: (item) => item.dataset.label + ": " + item.parsed.y.toFixed(1) + "%",
            },
          },
          segmentBoxes: { segments: report.segments, lanes: window.FER_SEGMENT_LANES(report.segments), highlight: null },
          momentMarks: { moments: report.moments || null },
          playhead: { video: options.video || null },
        },
        onClick: (event, elements, chart) => {
          if (!options.video) return;
          const seconds = chart.scales.x.getValueForPixel(event.x);
          options.video.currentTime = Math.max(0, Math.min(report.campaign.ad_duration_s, seconds));
        },
      },
    });
    chart.setBand = (name) => { setBand(name); chart.update("none"); };
    const table = canvas.id && document.querySelector('details.chart-data[data-chart="' + canvas.id + '"]');
    if (table) {
      FER_FILL_CURVE_TABLE(table, {
        caption: table.dataset.caption, times: curves.times_s, names: EMOTIONS, labels: {},
        values: Object.fromEntries(EMOTIONS.map((name) => [name, curves.emotions[name].mean])),
      });
    }
    if (options.video) {
      options.video.addEventListener("timeupdate", () => chart.draw());
      options.video.addEventListener("seeked", () => chart.draw());
    }
    return chart;
  }

  // The second group's bars are outlined, the first's filled: told apart without their colours.
  const BAR_COLORS = ["#3a4fb8", "#b85500"];

  function drawBars(canvas, groups) {
    // groups: [{label, means: {emotion: 0..1}}], two at most
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: EMOTIONS,
        datasets: groups.map((group, i) => ({
          label: group.label,
          data: EMOTIONS.map((name) => group.means[name] === null || group.means[name] === undefined ? null : 100 * group.means[name]),
          backgroundColor: i === 0 ? BAR_COLORS[0] : alpha(BAR_COLORS[1], 0.15),
          borderColor: BAR_COLORS[i],
          borderWidth: i === 0 ? 0 : 2,
        })),
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } },
        plugins: { tooltip: { callbacks: { label: (item) => item.dataset.label + ": " + (item.parsed.y || 0).toFixed(1) + "%" } } },
      },
    });
  }

  function reportPage() {
    const dataElement = document.getElementById("report-data");
    const canvas = document.getElementById("curves-chart");
    if (!dataElement || !canvas) return;
    const report = JSON.parse(dataElement.textContent);
    const video = document.getElementById("ad-video");
    const bandSelect = document.getElementById("band-emotion");
    const firstExpected = report.segments.length ? report.segments[0].expected[0] : "happy";
    if (bandSelect) bandSelect.value = firstExpected;
    const chart = drawCurves(canvas, report, { video: video, band: firstExpected });
    if (bandSelect) bandSelect.addEventListener("change", () => chart.setBand(bandSelect.value));

    // A click anywhere on a segment's row, or on its name's button (which a keyboard reaches; its
    // click comes up to the row), highlights the segment and seeks the ad there.
    document.querySelectorAll("tr.segment-row").forEach((row) => {
      row.addEventListener("click", (event) => {
        const segment = report.segments.find((s) => String(s.id) === row.dataset.segmentId);
        if (!segment) return;
        chart.options.plugins.segmentBoxes.highlight = segment.id;
        if (bandSelect) { bandSelect.value = segment.expected[0]; chart.setBand(segment.expected[0]); }
        if (video) video.currentTime = segment.start_s;
        chart.update("none");
        // the chart is far above the table: the button brings it into view (the focus stays here)
        if (event.target.closest(".segment-show")) canvas.scrollIntoView({ behavior: "smooth", block: "nearest" });
      });
    });

    // Key moments: play the ad from there, the chart's band on that emotion.
    document.querySelectorAll(".key-moments [data-seek]").forEach((button) => {
      button.addEventListener("click", () => {
        if (button.dataset.band && bandSelect) {
          bandSelect.value = button.dataset.band;
          chart.setBand(button.dataset.band);
        }
        if (!video) return;
        video.currentTime = Number(button.dataset.seek);
        video.play().catch(() => {}); // a browser may refuse to play without sound permission; the seek stands
      });
    });

    const compareCanvas = document.getElementById("segment-compare-chart");
    if (compareCanvas && report.segments.length) {
      const first = document.getElementById("compare-a");
      const second = document.getElementById("compare-b");
      let bars = null;
      const redraw = () => {
        if (bars) bars.destroy();
        const picked = [first.value, second.value].map((id) => report.segments.find((s) => String(s.id) === id)).filter(Boolean);
        bars = drawBars(compareCanvas, picked.map((segment) => ({
          label: segment.name + " (" + segment.start_s + "–" + segment.end_s + " s)",
          means: segment.means,
        })));
      };
      first.addEventListener("change", redraw);
      second.addEventListener("change", redraw);
      redraw();
    }
    canvas.dataset.rendered = "1"; // the page is ready (benchmarks and tests wait for it)
  }

  function comparePage() {
    const dataElement = document.getElementById("compare-data");
    if (!dataElement) return;
    const reports = JSON.parse(dataElement.textContent);
    const overall = document.getElementById("compare-overall-chart");
    if (overall && reports.length) {
      drawBars(overall, reports.map((report) => ({ label: report.campaign.name, means: report.overall })));
    }
    reports.forEach((report, i) => {
      const canvas = document.getElementById("compare-curves-" + i);
      if (canvas) drawCurves(canvas, report, { band: report.segments.length ? report.segments[0].expected[0] : "happy" });
    });
  }

  // A browser's webcam recording (MediaRecorder's WebM) carries no duration until a worker
  // finalizes it when the session closes; until then the player shows 0:00 and cannot seek, so
  // seeking far past the end once makes it read the whole file and find the length.
  function recordingDurations() {
    document.querySelectorAll(".viewer-recordings video").forEach((video) => {
      const findLength = () => {
        if (video.duration !== Infinity) return;
        video.addEventListener("durationchange", () => { video.currentTime = 0; }, { once: true });
        video.currentTime = Number.MAX_SAFE_INTEGER;
      };
      if (video.readyState >= 1) findLength();
      else video.addEventListener("loadedmetadata", findLength, { once: true });
    });
  }

  window.FERReport = { drawCurves: drawCurves, drawBars: drawBars };
  reportPage();
  comparePage();
  recordingDurations();
})();
