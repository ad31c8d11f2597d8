// One colour per emotion, shared by every chart and overlay of the site, and the width of an
// emotion legend's colour boxes.
window.FER_EMOTION_COLORS = Object.freeze({
  angry: "#dc3545",
  disgust: "#6a994e",
  fear: "#6f42c1",
  happy: "#f2b705",
  sad: "#0d6efd",
  surprise: "#fd7e14",
  neutral: "#6c757d",
});

// Small colour boxes on a phone, so the seven emotions' legend takes two rows instead of three.
window.FER_EMOTION_LEGEND_BOX_WIDTH = (canvas) => (canvas.clientWidth < 576 ? 14 : 40);
