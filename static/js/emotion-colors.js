// One colour per emotion, shared by every chart and overlay of the site, and the width of an
// emotion legend's colour boxes. Each colour stands out from a white chart (3:1 or more): Bootstrap's
// yellow and orange (1.9:1, 2.6:1) did not, so happy and surprise are darker shades of them. Dark or
// white text (FER_TEXT_ON) reads on each at 4.5:1 or more.
window.FER_EMOTION_COLORS = Object.freeze({
  angry: "#dc3545",
  disgust: "#6a994e",
  fear: "#6f42c1",
  happy: "#b38600",
  sad: "#0d6efd",
  surprise: "#b85500",
  neutral: "#6c757d",
});

// Colour alone does not tell the curves apart: angry, disgust and surprise look alike to many
// colour-blind people. Each emotion's line also has its own dash pattern and, here and there along
// it, its own marker; the legend shows both.
window.FER_EMOTION_LINES = Object.freeze({
  angry: { dash: [3, 3], point: "triangle" },
  disgust: { dash: [12, 3, 3, 3, 3, 3], point: "crossRot" },
  fear: { dash: [12, 3, 3, 3], point: "rectRot" },
  happy: { dash: [], point: "circle" },
  sad: { dash: [8, 4], point: "rect" },
  surprise: { dash: [18, 5], point: "star" },
  neutral: { dash: [2, 2, 8, 2], point: "cross" },
});

// Small colour boxes on a phone, so the seven emotions' legend takes two rows instead of three.
window.FER_EMOTION_LEGEND_BOX_WIDTH = (canvas) => (canvas.clientWidth < 576 ? 14 : 40);

// Dark or white text, whichever reads better on this background colour ("#rrggbb").
window.FER_TEXT_ON = (background) => {
  const n = parseInt(background.slice(1), 16);
  const linear = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = 0.2126 * linear(n >> 16) + 0.7152 * linear((n >> 8) & 255) + 0.0722 * linear(n & 255);
  // against white (1.0) and against #212529 (0.0185)
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.0685 ? "#ffffff" : "#212529";
};

(function () {
  "use strict";

  const COLORS = window.FER_EMOTION_COLORS;
  const LINES = window.FER_EMOTION_LINES;
  const NAMES = Object.keys(COLORS);
  const MARKER_RADIUS = 3.5;

  // A line dataset's look for an emotion (spread into the dataset). Markers go on every step-th
  // point, about ten along the line, each emotion's shifted so that the seven do not pile up.
  window.FER_EMOTION_LINE = (name) => {
    const color = COLORS[name] || "#6c757d";
    const line = LINES[name] || { dash: [], point: "circle" };
    const shift = Math.max(0, NAMES.indexOf(name));
    return {
      emotion: name,
      borderColor: color,
      backgroundColor: color,
      borderDash: line.dash,
      pointStyle: line.point,
      pointRadius: (context) => {
        if (context.type !== "data") return 0;
        const step = Math.max(6, Math.round(context.dataset.data.length / 10));
        return (context.dataIndex + Math.round(shift * step / NAMES.length)) % step === 0 ? MARKER_RADIUS : 0;
      },
    };
  };

  // The legend's sample of a line: a stretch of it, dashed, with its marker in the middle.
  function sample(name, width, marker) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = 12;
    const ctx = canvas.getContext("2d");
    const color = COLORS[name];
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2;
    ctx.setLineDash(LINES[name].dash);
    ctx.beginPath();
    ctx.moveTo(0, 6);
    ctx.lineTo(width, 6);
    ctx.stroke();
    ctx.setLineDash([]);
    if (marker) Chart.helpers.drawPoint(ctx, { pointStyle: LINES[name].point, radius: MARKER_RADIUS, borderWidth: 1 }, width / 2, 6);
    return canvas;
  }

  // Legend label options for emotion lines (datasets made with FER_EMOTION_LINE); others keep Chart.js's look.
  // markers: false for lines drawn without them.
  window.FER_EMOTION_LEGEND_LABELS = (width, extra, markers) => {
    const samples = {};
    return Object.assign({
      usePointStyle: true,
      pointStyleWidth: width,
      generateLabels: (chart) => Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => {
        const name = chart.data.datasets[item.datasetIndex].emotion;
        if (LINES[name]) item.pointStyle = samples[name] || (samples[name] = sample(name, width, markers !== false));
        return item;
      }),
    }, extra || {});
  };
})();

// A chart's curves as a table, for whoever cannot see the chart: fills a <details class="chart-data">
// (its <summary> stays) with one row per second of the video, or per few seconds of a long one
// (about 60 rows at most): each emotion's mean, in percent, over the points in it.
// curves: {caption, times: [s], values: {emotion: [percent or null]}, names: [emotion], labels: {emotion: heading}}.
window.FER_FILL_CURVE_TABLE = (details, curves) => {
  const last = curves.times.length ? curves.times[curves.times.length - 1] : 0;
  const step = Math.max(1, Math.ceil(last / 60));
  const rows = new Map(); // start of the stretch -> {emotion: [sum, count]}
  curves.times.forEach((time, i) => {
    const start = Math.floor(time / step) * step;
    if (!rows.has(start)) rows.set(start, {});
    const row = rows.get(start);
    curves.names.forEach((name) => {
      const value = curves.values[name][i];
      if (value === null || value === undefined) return;
      const cell = row[name] || (row[name] = [0, 0]);
      cell[0] += value;
      cell[1] += 1;
    });
  });
  const table = document.createElement("table");
  table.className = "table table-sm table-striped mb-0 chart-data-table";
  const caption = table.createCaption();
  caption.textContent = curves.caption;
  const head = table.createTHead().insertRow();
  const th = (row, text, scope) => {
    const cell = document.createElement("th");
    cell.scope = scope;
    cell.textContent = text;
    row.append(cell);
    return cell;
  };
  th(head, "Time (s)", "col");
  curves.names.forEach((name) => { th(head, curves.labels[name] || name, "col").className = "text-end text-capitalize"; });
  const body = table.createTBody();
  rows.forEach((row, start) => {
    const line = body.insertRow();
    th(line, start + "–" + (start + step), "row");
    curves.names.forEach((name) => {
      const cell = line.insertCell();
      cell.className = "text-end";
      cell.textContent = row[name] ? (row[name][0] / row[name][1]).toFixed(1) + "%" : "–";
    });
  });
  const wrap = document.createElement("div");
  wrap.className = "table-responsive";
  wrap.append(table);
  details.querySelector(".table-responsive")?.remove();
  details.append(wrap);
};
