// Segments may overlap (a "brand reveal" inside a longer "ending"): each one gets a lane, the
// lowest one free at its start, so overlapping segments sit one above the other instead of hiding
// each other. `extent(item)` gives an item's [start, end] (default: a segment's seconds; the
// report's key-moment labels pass the pixels they take). Returns {lanes: number of lanes,
// laneOf: {item id: lane index}}.
window.FER_SEGMENT_LANES = function (segments, extent) {
  const span = extent || ((segment) => [segment.start_s, segment.end_s]);
  const laneEnds = []; // per lane: where its last item ends
  const laneOf = {};
  segments
    .map((segment) => ({ id: segment.id, range: span(segment) }))
    .sort((a, b) => a.range[0] - b.range[0] || b.range[1] - a.range[1])
    .forEach((item) => {
      let lane = laneEnds.findIndex((end) => end <= item.range[0]);
      if (lane === -1) lane = laneEnds.length;
      laneEnds[lane] = item.range[1];
      laneOf[item.id] = lane;
    });
  return { lanes: Math.max(1, laneEnds.length), laneOf: laneOf };
};
