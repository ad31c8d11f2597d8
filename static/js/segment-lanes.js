// Segments may overlap (a "brand reveal" inside a longer "ending"): each one gets a lane, the
// lowest one free at its start, so overlapping segments sit one above the other instead of hiding
// each other. Returns {lanes: number of lanes, laneOf: {segment id: lane index}}.
window.FER_SEGMENT_LANES = function (segments) {
  const laneEnds = []; // per lane: where its last segment ends
  const laneOf = {};
  segments.slice().sort((a, b) => a.start_s - b.start_s || b.end_s - a.end_s).forEach((segment) => {
    let lane = laneEnds.findIndex((end) => end <= segment.start_s);
    if (lane === -1) lane = laneEnds.length;
    laneEnds[lane] = segment.end_s;
    laneOf[segment.id] = lane;
  });
  return { lanes: Math.max(1, laneEnds.length), laneOf: laneOf };
};
