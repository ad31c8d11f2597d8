// Loads static/js/emotion-colors.js in Node (no browser: only its plain functions run) and prints,
// as JSON for test_emotion_colors.py, each emotion's colour, line style and the text colour chosen on it.
"use strict";
const path = require("path");

global.window = {};
require(path.resolve(__dirname, "../../static/js/emotion-colors.js"));

const result = {};
Object.entries(window.FER_EMOTION_COLORS).forEach(([name, color]) => {
  const line = window.FER_EMOTION_LINE(name);
  result[name] = {
    color: color,
    text: window.FER_TEXT_ON(color),
    dash: line.borderDash,
    point: line.pointStyle,
    // the markers along a 120-point line: which points get one
    markers: Array.from({ length: 120 }, (_, i) => line.pointRadius({ type: "data", dataIndex: i, dataset: { data: new Array(120) } }))
      .flatMap((radius, i) => (radius > 0 ? [i] : [])),
  };
});
process.stdout.write(JSON.stringify(result));
