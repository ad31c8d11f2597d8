"""Campaign report math: per-viewer rollups -> emotion curves with confidence bands, segment verdicts.

Plain NumPy, no database: selectors/campaigns.py reads the rollups and calls
`build_report`. A rollup is one viewer's samples summed per 250 ms of the ad:
an array (bins, 9) of [samples with a face, all samples, then the seven
probability sums over the samples with a face], so a report over 1,000 viewers
reads 1,000 small arrays instead of 600,000 samples.

Key moments (`key_moments`) find, without segments, the 2 s stretches where viewers rose most above
their own level during the rest of the ad for each emotion (with intervals that allow for every
stretch tested), and where their faces were least often visible.

How a segment is judged (the verdict):
- signal: the probability of the segment's expected emotion (the sum, if several);
- each viewer's lift: their mean signal inside the segment minus their own mean
  during the rest of the ad (people differ in how expressive they are, so each
  is compared with themselves);
- the segment MET its goal when the 95 % confidence interval of the mean lift
  across viewers lies above zero and the lift is at least MIN_LIFT_TO_MEET (a
  sure rise of a tenth of a point is no reaction); NOT MET when the whole
  interval lies below MIN_LIFT_TO_MEET (even the best case is no real rise);
  UNCLEAR in between (the interval allows both: more viewers would tell); with
  fewer than MIN_VIEWERS_FOR_VERDICT viewers seen both inside and outside it,
  there are TOO FEW VIEWERS to tell.

Units: probabilities, shares and lifts are fractions (0..1) in the report dict,
except the curves' emotion means and bands, which are in percent (the JSON export and the API return the
dict as is). People read lifts in percentage points (`signed_points`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from inference.labels import EMOTIONS

ROLLUP_BIN_MS = 250
FACE, TOTAL = 0, 1
SUMS = slice(2, 2 + len(EMOTIONS))
ROLLUP_COLUMNS = 2 + len(EMOTIONS)
MIN_VIEWERS_FOR_VERDICT = 3
MIN_LIFT_TO_MEET = 0.02  # 2 percentage points of the expected emotion above the viewers' own level
MAX_CURVE_POINTS = 600

MET, NOT_MET, UNCLEAR, TOO_FEW = "met", "not_met", "unclear", "too_few_viewers"
# A viewer's signal is a mean of probabilities of distinct emotions (their sum is at most 1), so it lies in
# 0..1 and a lift (signal inside minus signal outside) in -1..1; the t interval of a few viewers can overshoot.
LIFT_BOUNDS = (-1.0, 1.0)
VERDICT_LABELS = {MET: "Met", NOT_MET: "Not met", UNCLEAR: "Unclear", TOO_FEW: "Too few viewers"}

# Key moments: stretches long enough to hold one reaction (a laugh, a wince), short enough to point
# at a shot. Neutral is what the other emotions are measured against, not a reaction.
KEY_MOMENT_WINDOW_S = 2.0
KEY_MOMENT_EMOTIONS = tuple(name for name in EMOTIONS if name != "neutral")
MAX_KEY_MOMENTS = 5
# A moment must also be worth pointing at, however sure.
MIN_MOMENT_LIFT = 0.05
ATTENTION_DIP_POINTS = 0.15

# Two-sided 95 % critical values of Student's t for 1..30 degrees of freedom; 1.96 beyond.
_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
          2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
          2.045, 2.042)


def t_critical(degrees_of_freedom: int) -> float:
    if degrees_of_freedom < 1:
        return math.nan
    return _T_975[degrees_of_freedom - 1] if degrees_of_freedom <= len(_T_975) else 1.96


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _incomplete_beta(b, a, 1.0 - x)
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))) / a
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-12:
            break
    return front * result


@functools.lru_cache(maxsize=4096)
def t_quantile(probability: float, degrees_of_freedom: int) -> float:
    """Student's t quantile for a probability above 0.5 (no SciPy here): the t whose upper tail,
    0.5 * I_{v/(v+t^2)}(v/2, 1/2), equals 1 - probability, found by bisection."""
    if degrees_of_freedom < 1:
        return math.nan
    tail = 1.0 - probability
    v = float(degrees_of_freedom)

    def upper_tail(t: float) -> float:
        return 0.5 * _incomplete_beta(v / 2, 0.5, v / (v + t * t))

    low, high = 0.0, 1.0
    while upper_tail(high) > tail:
        high *= 2
    for _ in range(100):
        middle = (low + high) / 2
        if upper_tail(middle) > tail:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def bin_count(duration_s: float) -> int:
    return max(1, math.ceil(duration_s * 1000 / ROLLUP_BIN_MS))


# Rollups ---------------------------------------------------------------------------------------


def rollup(t_ms: np.ndarray, face: np.ndarray, probabilities: np.ndarray, duration_s: float) -> np.ndarray:
    """Samples -> (bins, 9) float32. `probabilities`: (N, 7) in 0..1 (ignored where face is False).
    Samples after the end of the ad count in the last bin."""
    bins = bin_count(duration_s)
    table = np.zeros((bins, ROLLUP_COLUMNS), np.float64)
    if len(t_ms):
        index = np.minimum(np.asarray(t_ms, np.int64) // ROLLUP_BIN_MS, bins - 1)
        face = np.asarray(face, bool)
        np.add.at(table[:, TOTAL], index, 1.0)
        np.add.at(table[:, FACE], index[face], 1.0)
        np.add.at(table[:, SUMS], index[face], np.asarray(probabilities, np.float64)[face])
    return table.astype(np.float32)


def rollup_to_bytes(table: np.ndarray) -> bytes:
    return np.ascontiguousarray(table, dtype="<f4").tobytes()


def rollup_from_bytes(data: bytes, bins: int) -> np.ndarray:
    table = np.frombuffer(bytes(data), dtype="<f4").reshape(-1, ROLLUP_COLUMNS)
    if len(table) >= bins:
        return table[:bins]
    return np.vstack([table, np.zeros((bins - len(table), ROLLUP_COLUMNS), np.float32)])


# Statistics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    mean: float | None
    low: float | None
    high: float | None
    n: int

    def to_dict(self, digits: int = 4) -> dict:
        def rounded(value):
            return None if value is None else round(value, digits)

        return {"mean": rounded(self.mean), "low": rounded(self.low), "high": rounded(self.high), "n": self.n}


def mean_interval(values, bounds: tuple[float, float] | None = None) -> Interval:
    """Mean and 95 % confidence interval (Student's t) of the finite values; the interval is clipped to
    `bounds` (the values' possible range) when given, as a mean can never lie outside it."""
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        return Interval(None, None, None, 0)
    mean = float(values.mean())
    if n == 1:
        return Interval(mean, None, None, 1)
    half = t_critical(n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Interval(mean, low, high, n)


def _divide(numerator, denominator):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


# The report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentSpec:
    id: int | None
    name: str
    start_s: float
    end_s: float
    expected: tuple[str, ...]


def _segment_mask(spec: SegmentSpec, bins: int) -> np.ndarray:
    """Bins whose centre lies inside the segment."""
    centres = (np.arange(bins) + 0.5) * ROLLUP_BIN_MS / 1000
    return (centres >= spec.start_s) & (centres < spec.end_s)


def _merge_bins(table: np.ndarray, factor: int) -> np.ndarray:
    """(..., bins, C) summed over groups of `factor` consecutive bins."""
    if factor <= 1:
        return table
    bins = table.shape[-2]
    padded = -(-bins // factor) * factor
    pad = [(0, 0)] * table.ndim
    pad[-2] = (0, padded - bins)
    table = np.pad(table, pad)
    return table.reshape(*table.shape[:-2], padded // factor, factor, table.shape[-1]).sum(axis=-2)


def _across_viewers(per_viewer: np.ndarray, critical=t_critical):
    """(mean, half-width, viewers) over axis 0 of (S, ...) values, NaN meaning "not seen there"; the
    half-width is critical(degrees of freedom) standard errors (95 % by default)."""
    seen = np.isfinite(per_viewer)
    n = seen.sum(axis=0)
    mean = _divide(np.where(seen, per_viewer, 0.0).sum(axis=0), n.astype(np.float64))
    squares = np.where(seen, (per_viewer - mean) ** 2, 0.0).sum(axis=0)
    sd = np.sqrt(_divide(squares, (n - 1).astype(np.float64)))
    t = np.vectorize(lambda k: critical(int(k) - 1), otypes=[np.float64])(n) if n.size else n.astype(np.float64)
    return mean, t * sd / np.sqrt(np.maximum(n, 1)), n


def curves(rollups: np.ndarray, *, max_points: int = MAX_CURVE_POINTS) -> dict:
    """Across viewers, per time bin: each emotion's mean (percent) with its 95 % band, viewers seen, face rate."""
    factor = max(1, math.ceil(rollups.shape[1] / max_points))
    merged = _merge_bins(rollups.astype(np.float64), factor)  # (S, B', 9)
    per_viewer = _divide(merged[..., SUMS], merged[..., FACE:FACE + 1])  # (S, B', 7), NaN where no face
    mean, half, n_per_emotion = _across_viewers(per_viewer)  # (B', 7) each
    n = n_per_emotion[:, 0]
    faces, totals = merged[..., FACE].sum(axis=0), merged[..., TOTAL].sum(axis=0)
    bin_s = factor * ROLLUP_BIN_MS / 1000

    def percent(values):
        return [None if not np.isfinite(v) else round(float(100 * v), 2) for v in values]

    return {
        "bin_s": bin_s,
        "times_s": [round(i * bin_s, 3) for i in range(merged.shape[1])],
        "viewers": [int(k) for k in n],
        "face_visible_rate": [None if total == 0 else round(float(face / total), 4) for face, total in zip(faces, totals)],
        "emotions": {
            name: {"mean": percent(mean[:, i]), "low": percent(np.clip(mean[:, i] - half[:, i], 0, 1)),
                   "high": percent(np.clip(mean[:, i] + half[:, i], 0, 1))}
            for i, name in enumerate(EMOTIONS)
        },
    }


def segment_result(rollups: np.ndarray, spec: SegmentSpec) -> dict:
    inside = _segment_mask(spec, rollups.shape[1])
    data = rollups.astype(np.float64)
    sums_in, sums_out = data[:, inside][..., SUMS].sum(axis=1), data[:, ~inside][..., SUMS].sum(axis=1)
    face_in, face_out = data[:, inside][..., FACE].sum(axis=1), data[:, ~inside][..., FACE].sum(axis=1)
    total_in = data[:, inside][..., TOTAL].sum(axis=1)
    means_in = _divide(sums_in, face_in[:, None])  # (S, 7)
    means_out = _divide(sums_out, face_out[:, None])
    columns = [EMOTIONS.index(name) for name in spec.expected]
    signal_in, signal_out = means_in[:, columns].sum(axis=1), means_out[:, columns].sum(axis=1)
    lift = mean_interval(signal_in - signal_out, LIFT_BOUNDS)  # NaN for viewers not seen both inside and outside
    seen_in = np.isfinite(means_in[:, 0])
    emotion_means = means_in[seen_in].mean(axis=0) if seen_in.any() else np.full(len(EMOTIONS), np.nan)
    dominant = EMOTIONS[int(np.nanargmax(emotion_means))] if seen_in.any() else None
    # Clipping to LIFT_BOUNDS never moves an end across zero or MIN_LIFT_TO_MEET, so it cannot change a verdict.
    if lift.n < MIN_VIEWERS_FOR_VERDICT:
        verdict = TOO_FEW
    elif lift.low > 0 and lift.mean >= MIN_LIFT_TO_MEET:
        verdict = MET
    elif lift.high < MIN_LIFT_TO_MEET:
        verdict = NOT_MET
    else:
        verdict = UNCLEAR
    return {
        "id": spec.id, "name": spec.name, "start_s": spec.start_s, "end_s": spec.end_s,
        "expected": list(spec.expected),
        "viewers": int(seen_in.sum()),
        "face_visible_rate": None if total_in.sum() == 0 else round(float(face_in.sum() / total_in.sum()), 4),
        "means": {name: (None if not np.isfinite(v) else round(float(v), 4)) for name, v in zip(EMOTIONS, emotion_means)},
        "dominant": dominant,
        "dominant_is_expected": dominant in spec.expected if dominant else False,
        "expected_mean": None if not seen_in.any() else round(float(signal_in[seen_in].mean()), 4),
        "lift": lift.to_dict(),
        "verdict": verdict,
        "verdict_label": VERDICT_LABELS[verdict],
        "verdict_reason": verdict_reason(spec.expected, lift, verdict),
    }


def signed_points(fraction: float | None) -> str | None:
    """A lift (fraction) in percentage points with its sign and one decimal: 0.123 -> "+12.3"."""
    if fraction is None:
        return None
    return f"{round(100 * fraction, 1) + 0.0:+.1f}"  # + 0.0 turns -0.0 into 0.0, so a nil lift reads "+0.0"


def verdict_reason(expected, lift: Interval, verdict: str) -> str:
    """Why the verdict is what it is, in a few words: the dominant emotion can differ from the expected one
    while the expected one still rose clearly above the viewers' own level, which is what counts."""
    if lift.n == 0:
        return "no viewer seen both in the segment and outside it"
    if verdict == TOO_FEW:  # the lift column shows the figure; what is missing is viewers
        return f"only {lift.n} viewer{'s' if lift.n != 1 else ''}, {MIN_VIEWERS_FOR_VERDICT} needed for a verdict"
    change = f"{' + '.join(expected)} {signed_points(lift.mean)} pts vs the rest of the ad"
    if verdict == UNCLEAR:
        return f"{change}, too uncertain either way: more viewers would tell"
    if verdict == NOT_MET and lift.mean > 0:
        return f"{change}, surely under the {100 * MIN_LIFT_TO_MEET:.0f} pts a reaction needs"
    return change


def ad_coverage(rollup: np.ndarray) -> float:
    """The share of the ad's quarter seconds holding at least one of the viewer's samples: "face
    visible" counts faces among the samples received, this tells how much of the ad they span."""
    totals = rollup[..., TOTAL]
    return round(float((totals > 0).mean()), 4) if totals.size else 0.0


def overall_means(rollups: np.ndarray) -> dict:
    """Each emotion's mean over the whole ad: the average of every viewer's own mean."""
    data = rollups.astype(np.float64)
    per_viewer = _divide(data[..., SUMS].sum(axis=1), data[..., FACE].sum(axis=1)[:, None])
    seen = np.isfinite(per_viewer[:, 0])
    return {name: (round(float(per_viewer[seen, i].mean()), 4) if seen.any() else None)
            for i, name in enumerate(EMOTIONS)}


def _window_sums(column: np.ndarray, width: int) -> np.ndarray:
    """(S, B) -> (S, B - width + 1): the sum over each run of `width` consecutive bins."""
    running = np.concatenate([np.zeros((column.shape[0], 1)), np.cumsum(column, axis=1, dtype=np.float64)], axis=1)
    return running[:, width:] - running[:, :-width]


def key_moments(rollups: np.ndarray, *, window_s: float = KEY_MOMENT_WINDOW_S) -> dict:
    """Where the ad moved its viewers, found without segments.

    Peaks: for each emotion but neutral, the `window_s` stretch where viewers rose furthest above
    their own level during the rest of the ad (each compared with themselves, as in the verdicts).
    Scanning every stretch for every emotion, noise alone clears a plain 95 % interval somewhere, so
    the interval allows for all the tests made (Bonferroni, counting the stretches that do not
    overlap): a peak is kept when at least MIN_VIEWERS_FOR_VERDICT viewers were seen, that interval
    lies above zero and the lift is MIN_MOMENT_LIFT or more; the strongest MAX_KEY_MOMENTS, strongest
    first. Attention dip: the stretch where faces were least often visible (viewers looking away or
    leaving the frame), when it is ATTENTION_DIP_POINTS or more below the rate over the whole ad.
    """
    viewers, bins = rollups.shape[:2]
    width = max(1, round(window_s * 1000 / ROLLUP_BIN_MS))
    tests = len(KEY_MOMENT_EMOTIONS) * max(1, bins // width)
    if viewers < MIN_VIEWERS_FOR_VERDICT or bins <= width:
        return {"window_s": window_s, "tests": tests, "peaks": [], "attention_dip": None}
    bin_s = ROLLUP_BIN_MS / 1000
    confidence = 1 - 0.05 / 2 / tests

    def critical(degrees_of_freedom: int) -> float:
        return t_quantile(confidence, degrees_of_freedom)

    # One column at a time, never the whole table in float64: 1,000 viewers of a 5 min ad stay small.
    faces = _window_sums(rollups[..., FACE], width)  # (S, W)
    faces_elsewhere = rollups[..., FACE].sum(axis=1, dtype=np.float64)[:, None] - faces
    peaks = []
    for name in KEY_MOMENT_EMOTIONS:
        column = rollups[..., 2 + EMOTIONS.index(name)]
        inside = _window_sums(column, width)
        elsewhere = column.sum(axis=1, dtype=np.float64)[:, None] - inside
        lift = _divide(inside, faces) - _divide(elsewhere, faces_elsewhere)  # (S, W), NaN where unseen
        mean, half, n = _across_viewers(lift, critical)
        clear = (n >= MIN_VIEWERS_FOR_VERDICT) & (mean - half > 0) & (mean >= MIN_MOMENT_LIFT)
        if not clear.any():
            continue
        best = int(np.argmax(np.where(clear, mean, -np.inf)))
        interval = Interval(float(mean[best]), max(float(mean[best] - half[best]), LIFT_BOUNDS[0]),
                            min(float(mean[best] + half[best]), LIFT_BOUNDS[1]), int(n[best]))
        peaks.append({"emotion": name, "start_s": round(best * bin_s, 3), "end_s": round((best + width) * bin_s, 3),
                      "lift": interval.to_dict()})
    peaks.sort(key=lambda peak: -peak["lift"]["mean"])
    return {"window_s": window_s, "tests": tests, "peaks": peaks[:MAX_KEY_MOMENTS],
            "attention_dip": _attention_dip(rollups, width)}


def _attention_dip(rollups: np.ndarray, width: int) -> dict | None:
    faces, totals = _window_sums(rollups[..., FACE], width), _window_sums(rollups[..., TOTAL], width)
    watching = (totals > 0).sum(axis=0)  # viewers with samples in each stretch
    rate = _divide(faces.sum(axis=0), totals.sum(axis=0))
    rate = np.where(watching >= MIN_VIEWERS_FOR_VERDICT, rate, np.nan)
    if not np.isfinite(rate).any():
        return None
    worst = int(np.nanargmin(rate))
    whole_ad = float(rollups[..., FACE].sum(dtype=np.float64) / rollups[..., TOTAL].sum(dtype=np.float64))
    if whole_ad - rate[worst] < ATTENTION_DIP_POINTS:
        return None
    bin_s = ROLLUP_BIN_MS / 1000
    return {"start_s": round(worst * bin_s, 3), "end_s": round((worst + width) * bin_s, 3),
            "face_visible_rate": round(float(rate[worst]), 4), "ad_face_visible_rate": round(whole_ad, 4),
            "viewers": int(watching[worst])}


def build_report(rollups: np.ndarray, segments: list[SegmentSpec]) -> dict:
    """rollups: (viewers, bins, 9). Curves (percent), overall means, per-segment results, key moments."""
    return {
        "viewers": int(len(rollups)),
        "curves": curves(rollups),
        "overall": overall_means(rollups),
        "segments": [segment_result(rollups, spec) for spec in segments],
        "moments": key_moments(rollups),
    }


# Sharing ----------------------------------------------------------------------------------------

# A figure a read-only link shows stands for at least this many viewers: never one person's curve.
SHARE_MIN_VIEWERS = 5
_SHARED_SEGMENT_KEYS = ("name", "start_s", "end_s", "expected", "viewers", "face_visible_rate", "means", "dominant",
                        "dominant_is_expected", "expected_mean", "lift", "verdict", "verdict_label", "verdict_reason")


def shared_figures(report: dict, *, min_viewers: int = SHARE_MIN_VIEWERS) -> dict:
    """The report as a read-only link shows it: only the keys named here (a key added to reports later
    stays private until added), and nothing computed from fewer than `min_viewers` viewers (chart
    bins, segments, moments are blanked)."""
    curves = report["curves"]
    kept = [n >= min_viewers for n in curves["viewers"]]

    def blank(values):
        return [value if keep else None for value, keep in zip(values, kept)]

    return {
        "viewers": report["viewers"],
        "campaign": {key: report["campaign"][key] for key in ("name", "brand", "ad_duration_s", "is_demo")},
        "curves": {
            "bin_s": curves["bin_s"], "times_s": curves["times_s"],
            "viewers": blank(curves["viewers"]), "face_visible_rate": blank(curves["face_visible_rate"]),
            "emotions": {name: {band: blank(values) for band, values in emotion.items()}
                         for name, emotion in curves["emotions"].items()},
        },
        "overall": report["overall"] if report["viewers"] >= min_viewers else dict.fromkeys(report["overall"]),
        "segments": [_shared_segment(position, segment, min_viewers)
                     for position, segment in enumerate(report["segments"], start=1)],
        "moments": {
            **{key: report["moments"][key] for key in ("window_s", "tests")},
            "peaks": [peak for peak in report["moments"]["peaks"] if peak["lift"]["n"] >= min_viewers],
            "attention_dip": (report["moments"]["attention_dip"]
                              if (report["moments"]["attention_dip"] or {}).get("viewers", 0) >= min_viewers else None),
        },
    }


def _shared_segment(position: int, segment: dict, min_viewers: int) -> dict:
    shared = {"id": position, **{key: segment[key] for key in _SHARED_SEGMENT_KEYS}}  # no database id
    if segment["viewers"] < min_viewers:
        shared.update(
            face_visible_rate=None, means=dict.fromkeys(segment["means"]), dominant=None, dominant_is_expected=False,
            expected_mean=None, lift={"mean": None, "low": None, "high": None, "n": segment["lift"]["n"]},
            verdict=TOO_FEW, verdict_label=VERDICT_LABELS[TOO_FEW],
            verdict_reason=f"fewer than {min_viewers} viewers: not shown on a shared report")
    return shared
