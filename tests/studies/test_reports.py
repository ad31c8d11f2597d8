"""Report math against figures worked out by hand on tiny campaigns."""

import math

import numpy as np
import pytest

from inference.labels import EMOTIONS
from studies import reports
from studies.reports import SegmentSpec

HAPPY, SAD = EMOTIONS.index("happy"), EMOTIONS.index("sad")
JOKE = SegmentSpec(id=1, name="Joke", start_s=1.0, end_s=2.0, expected=("happy",))


def viewer(happy_outside: float, happy_inside: float, *, bins: int = 8) -> np.ndarray:
    """A 2 s ad (8 bins of 250 ms), one face sample per bin; the rest of the probability is neutral."""
    t_ms = np.arange(bins) * 250 + 100
    happy = np.where(t_ms >= 1000, happy_inside, happy_outside)
    probabilities = np.zeros((bins, len(EMOTIONS)))
    probabilities[:, HAPPY] = happy
    probabilities[:, EMOTIONS.index("neutral")] = 1 - happy
    return reports.rollup(t_ms, np.ones(bins, bool), probabilities, duration_s=2.0)


def test_rollup_counts_and_sums_samples_per_quarter_second():
    t_ms = np.array([0, 100, 260, 5000])  # the last is past the end: it counts in the last bin
    face = np.array([True, False, True, True])
    probabilities = np.tile(np.eye(len(EMOTIONS))[HAPPY], (4, 1))
    table = reports.rollup(t_ms, face, probabilities, duration_s=1.0)
    assert table.shape == (4, reports.ROLLUP_COLUMNS)
    assert table[:, reports.TOTAL].tolist() == [2, 1, 0, 1]
    assert table[:, reports.FACE].tolist() == [1, 1, 0, 1]
    assert table[0, reports.SUMS][HAPPY] == 1.0
    again = reports.rollup_from_bytes(reports.rollup_to_bytes(table), bins=4)
    np.testing.assert_array_equal(again, table)


def test_three_viewers_with_a_spread_of_lifts_are_not_enough_to_be_sure():
    # lifts 0.6, 0.4, 0.2: mean 0.4, sd 0.2, t(2) = 4.303 -> 0.4 +- 0.4969
    result = reports.segment_result(np.stack([viewer(0.2, 0.8), viewer(0.1, 0.5), viewer(0.3, 0.5)]), JOKE)
    assert result["lift"]["n"] == 3 and result["lift"]["mean"] == pytest.approx(0.4, abs=1e-6)
    assert result["lift"]["low"] == pytest.approx(0.4 - 4.303 * 0.2 / math.sqrt(3), abs=1e-4)
    assert result["verdict"] == reports.UNCLEAR and result["verdict_label"] == "Unclear"


def test_four_consistent_viewers_meet_the_goal():
    # lifts 0.6, 0.4, 0.2, 0.4: mean 0.4, sd 0.1633, t(3) = 3.182 -> low 0.1402
    rollups = np.stack([viewer(0.2, 0.8), viewer(0.1, 0.5), viewer(0.3, 0.5), viewer(0.2, 0.6)])
    result = reports.segment_result(rollups, JOKE)
    assert result["lift"]["low"] == pytest.approx(0.4 - 3.182 * math.sqrt(0.08 / 3) / 2, abs=1e-4)
    assert result["verdict"] == reports.MET and result["verdict_label"] == "Met"
    assert result["viewers"] == 4
    assert result["means"]["happy"] == pytest.approx((0.8 + 0.5 + 0.5 + 0.6) / 4, abs=1e-4)
    assert result["dominant"] == "happy" and result["dominant_is_expected"]
    assert result["face_visible_rate"] == 1.0


def test_an_emotion_that_falls_is_not_met_and_few_viewers_are_named():
    falling = np.stack([viewer(0.6, 0.2), viewer(0.5, 0.1), viewer(0.7, 0.3), viewer(0.6, 0.2)])
    assert reports.segment_result(falling, JOKE)["verdict"] == reports.NOT_MET
    assert reports.segment_result(falling[:2], JOKE)["verdict"] == reports.TOO_FEW


def test_several_expected_emotions_add_up():
    rollups = np.stack([viewer(0.2, 0.8)] * 3)
    spec = SegmentSpec(id=2, name="Reveal", start_s=1.0, end_s=2.0, expected=("happy", "surprise"))
    result = reports.segment_result(rollups, spec)
    assert result["expected_mean"] == pytest.approx(0.8, abs=1e-6)  # surprise is 0
    assert result["lift"]["mean"] == pytest.approx(0.6, abs=1e-6)


def test_viewers_without_a_face_in_the_segment_do_not_count():
    blind = viewer(0.2, 0.8)
    blind[4:, reports.FACE] = 0
    blind[4:, reports.SUMS] = 0
    result = reports.segment_result(np.stack([viewer(0.2, 0.8), blind]), JOKE)
    assert result["viewers"] == 1 and result["lift"]["n"] == 1
    assert result["face_visible_rate"] == 0.5


def test_curves_average_viewers_per_bin_with_a_band():
    rollups = np.stack([viewer(0.2, 0.8), viewer(0.1, 0.5), viewer(0.3, 0.5)])
    curves = reports.curves(rollups)
    assert curves["bin_s"] == 0.25 and curves["times_s"][:3] == [0.0, 0.25, 0.5]
    assert curves["viewers"] == [3] * 8
    happy = curves["emotions"]["happy"]
    assert happy["mean"][0] == pytest.approx(20.0) and happy["mean"][7] == pytest.approx(60.0)
    # bin 0: 0.2, 0.1, 0.3 -> sd 0.1, t(2) = 4.303
    assert happy["low"][0] == pytest.approx(max(0.0, 100 * (0.2 - 4.303 * 0.1 / math.sqrt(3))), abs=0.01)
    assert happy["high"][0] == pytest.approx(100 * (0.2 + 4.303 * 0.1 / math.sqrt(3)), abs=0.01)
    assert curves["face_visible_rate"] == [1.0] * 8


def test_long_ads_are_charted_with_merged_bins():
    long_ad = np.zeros((2, 2400, reports.ROLLUP_COLUMNS), np.float32)  # 10 minutes
    long_ad[:, :, reports.FACE] = long_ad[:, :, reports.TOTAL] = 1
    long_ad[:, :, reports.SUMS.start + HAPPY] = 0.5
    curves = reports.curves(long_ad)
    assert len(curves["times_s"]) == 600 and curves["bin_s"] == 1.0
    assert curves["emotions"]["happy"]["mean"][0] == pytest.approx(50.0)


def test_an_empty_campaign_gives_an_empty_report():
    report = reports.build_report(np.zeros((0, 8, reports.ROLLUP_COLUMNS), np.float32), [JOKE])
    assert report["viewers"] == 0
    assert report["segments"][0]["verdict"] == reports.TOO_FEW and report["segments"][0]["dominant"] is None
    assert report["curves"]["emotions"]["happy"]["mean"] == [None] * 8
    assert report["overall"]["happy"] is None


def test_overall_means_average_each_viewers_own_mean():
    rollups = np.stack([viewer(0.2, 0.8), viewer(0.0, 0.2)])
    assert reports.overall_means(rollups)["happy"] == pytest.approx(((0.2 + 0.8) / 2 + (0.0 + 0.2) / 2) / 2)
    assert reports.overall_means(rollups)["sad"] == 0.0


# The lift's interval, and why a verdict is what it is ---------------------------------------------


def test_the_lift_interval_of_two_disagreeing_viewers_stays_within_what_a_lift_can_be():
    # lifts +0.7 and -0.5: mean 0.1, sd 0.8485, t(1) = 12.706 -> 0.1 +- 7.62, far outside -1..1 unclipped
    result = reports.segment_result(np.stack([viewer(0.1, 0.8), viewer(0.6, 0.1)]), JOKE)
    assert result["lift"]["n"] == 2 and result["lift"]["mean"] == pytest.approx(0.1, abs=1e-6)
    assert (result["lift"]["low"], result["lift"]["high"]) == (-1.0, 1.0)
    assert result["verdict"] == reports.TOO_FEW


def test_two_agreeing_viewers_are_still_too_few_even_with_an_interval_above_zero():
    result = reports.segment_result(np.stack([viewer(0.1, 0.6), viewer(0.1, 0.61)]), JOKE)
    assert result["lift"]["low"] > 0 and result["verdict"] == reports.TOO_FEW
    assert result["verdict_reason"] == "only 2 viewers, 3 needed for a verdict"


def test_clipping_the_upper_end_leaves_a_clear_rise_met():
    # lifts 0.8, 0.9, 0.7: mean 0.8, sd 0.1, t(2) = 4.303 -> [0.5516, 1.0484] -> high clipped to 1
    result = reports.segment_result(np.stack([viewer(0.1, 0.9), viewer(0.0, 0.9), viewer(0.2, 0.9)]), JOKE)
    assert result["lift"]["low"] == pytest.approx(0.8 - 4.303 * 0.1 / math.sqrt(3), abs=1e-4)
    assert result["lift"]["high"] == 1.0
    assert result["verdict"] == reports.MET


def test_mean_interval_clips_only_when_given_bounds():
    assert reports.mean_interval([0.9, -0.9]).low < -1
    clipped = reports.mean_interval([0.9, -0.9], bounds=(-1.0, 1.0))
    assert (clipped.mean, clipped.low, clipped.high) == (0.0, -1.0, 1.0)


def test_a_met_segment_where_another_emotion_dominates_says_why_it_is_met():
    # happy rises from 10 % to about 30 % for everyone: neutral (the rest) still dominates the segment
    rollups = np.stack([viewer(0.1, 0.3), viewer(0.1, 0.3), viewer(0.1, 0.3), viewer(0.1, 0.34)])
    result = reports.segment_result(rollups, JOKE)
    assert result["dominant"] == "neutral" and result["verdict"] == reports.MET
    assert result["verdict_reason"] == "happy +21.0 pts vs the rest of the ad"


def test_not_met_reasons_tell_a_fall_from_an_unclear_rise():
    falling = np.stack([viewer(0.6, 0.2), viewer(0.5, 0.1), viewer(0.7, 0.3), viewer(0.6, 0.2)])
    assert reports.segment_result(falling, JOKE)["verdict_reason"] == "happy -40.0 pts vs the rest of the ad"
    unclear = reports.segment_result(np.stack([viewer(0.2, 0.8), viewer(0.1, 0.5), viewer(0.3, 0.5)]), JOKE)
    assert unclear["verdict"] == reports.UNCLEAR
    assert unclear["verdict_reason"] == "happy +40.0 pts vs the rest of the ad, too uncertain either way: more viewers would tell"


def test_a_sure_but_tiny_rise_is_not_met_and_a_sure_rise_of_two_points_is():
    # every viewer +0.5 or +1.5 pts: the interval lies above zero yet wholly under the 2 points a reaction needs
    tiny = reports.segment_result(np.stack([viewer(0.1, 0.105), viewer(0.1, 0.115)] * 2), JOKE)
    assert tiny["lift"]["low"] > 0 and tiny["lift"]["high"] < reports.MIN_LIFT_TO_MEET
    assert tiny["verdict"] == reports.NOT_MET
    assert tiny["verdict_reason"] == "happy +1.0 pts vs the rest of the ad, surely under the 2 pts a reaction needs"
    small = reports.segment_result(np.stack([viewer(0.1, 0.12), viewer(0.1, 0.13)] * 2), JOKE)
    assert small["lift"]["low"] > 0 and small["verdict"] == reports.MET


def test_a_fall_whose_interval_still_allows_a_rise_is_unclear_not_a_failure():
    # lifts -0.2, +0.1, -0.05: the interval reaches above 2 points
    result = reports.segment_result(np.stack([viewer(0.4, 0.2), viewer(0.1, 0.2), viewer(0.3, 0.25)]), JOKE)
    assert result["lift"]["mean"] < 0 < reports.MIN_LIFT_TO_MEET < result["lift"]["high"]
    assert result["verdict"] == reports.UNCLEAR


def test_reasons_name_every_expected_emotion_and_an_unseen_segment():
    spec = SegmentSpec(id=2, name="Reveal", start_s=1.0, end_s=2.0, expected=("happy", "surprise"))
    assert reports.segment_result(np.stack([viewer(0.2, 0.8)] * 3), spec)["verdict_reason"] == (
        "happy + surprise +60.0 pts vs the rest of the ad")
    empty = reports.segment_result(np.zeros((0, 8, reports.ROLLUP_COLUMNS), np.float32), JOKE)
    assert empty["verdict_reason"] == "no viewer seen both in the segment and outside it"


def test_signed_points_turn_a_fraction_into_percentage_points():
    assert [reports.signed_points(v) for v in (0.123, -0.0934, -0.0004, 0.0, None)] == [
        "+12.3", "-9.3", "+0.0", "+0.0", None]


# Key moments -------------------------------------------------------------------------------------

AD_S = 20


def watching(*, laugh_at_s=None, laugh=0.0, face_from_s=None, face_to_s=None, jitter=0.0, seed=0) -> np.ndarray:
    """A 20 s ad seen at 4 samples a second: happy 0.1 (+ `laugh` for 2 s from `laugh_at_s`),
    the rest neutral; the face out of view between `face_from_s` and `face_to_s`."""
    t_ms = np.arange(AD_S * 4) * 250 + 100
    happy = np.full(len(t_ms), 0.1) + np.random.default_rng(seed).uniform(-jitter, jitter, len(t_ms))
    if laugh_at_s is not None:
        happy[(t_ms >= laugh_at_s * 1000) & (t_ms < (laugh_at_s + 2) * 1000)] += laugh
    probabilities = np.zeros((len(t_ms), len(EMOTIONS)))
    probabilities[:, HAPPY] = happy
    probabilities[:, EMOTIONS.index("neutral")] = 1 - happy
    face = np.ones(len(t_ms), bool)
    if face_from_s is not None:
        face[(t_ms >= face_from_s * 1000) & (t_ms < face_to_s * 1000)] = False
    return reports.rollup(t_ms, face, probabilities, duration_s=AD_S)


def test_a_laugh_most_viewers_share_is_found_where_it_happened():
    rollups = np.stack([watching(laugh_at_s=12, laugh=0.5 + 0.05 * k, jitter=0.02, seed=k) for k in range(5)])
    moments = reports.key_moments(rollups)
    assert [(peak["emotion"], peak["start_s"], peak["end_s"]) for peak in moments["peaks"]] == [("happy", 12.0, 14.0)]
    lift = moments["peaks"][0]["lift"]
    # each viewer against their own level during the rest of the ad (0.1), as segments are judged
    assert lift["mean"] == pytest.approx(0.6, abs=0.02) and lift["low"] > 0 and lift["n"] == 5
    assert moments["tests"] == 6 * 10  # six emotions, ten stretches of 2 s that do not overlap
    assert moments["attention_dip"] is None
    assert reports.build_report(rollups, [])["moments"] == moments


def test_no_moment_is_claimed_from_noise_or_from_too_few_viewers():
    calm = np.stack([watching(jitter=0.05, seed=k) for k in range(8)])
    assert reports.key_moments(calm)["peaks"] == []
    two_laughing = np.stack([watching(laugh_at_s=5, laugh=0.6) for _ in range(2)])
    assert reports.key_moments(two_laughing) == {"window_s": 2.0, "tests": 60, "peaks": [], "attention_dip": None}


def test_viewers_who_each_smile_at_their_own_moments_share_no_moment():
    rng = np.random.default_rng(7)
    false_peaks = 0
    for ad in range(40):
        rollups = []
        for k in range(8):
            viewer_rollup = watching(jitter=0.03, seed=100 * ad + k)
            for start in rng.integers(0, AD_S * 4 - 8, size=3):  # three smiles of their own
                viewer_rollup[start:start + 8, 2 + HAPPY] += 0.5
                viewer_rollup[start:start + 8, 2 + EMOTIONS.index("neutral")] -= 0.5
            rollups.append(viewer_rollup)
        false_peaks += bool(reports.key_moments(np.stack(rollups))["peaks"])
    # every stretch of every emotion is tested: a plain 95 % interval found one in about 1 ad in 10
    assert false_peaks <= 2


def test_t_quantiles_match_the_table_and_the_normal_limit():
    assert [round(reports.t_quantile(0.975, v), 3) for v in range(1, 31)] == list(reports._T_975)
    assert reports.t_quantile(0.975, 10**6) == pytest.approx(1.96, abs=1e-3)
    assert reports.t_quantile(1 - 0.025 / 60, 10**6) == pytest.approx(3.34, abs=0.01)  # z at 0.05/120


def test_viewers_who_disagree_make_no_clear_moment():
    rollups = np.stack([watching(laugh_at_s=5, laugh=0.6), watching(laugh_at_s=5, laugh=0.6)]
                       + [watching(jitter=0.02, seed=k) for k in range(3)])
    assert reports.key_moments(rollups)["peaks"] == []  # two of five: the interval reaches below zero


def test_where_viewers_looked_away_is_the_attention_dip():
    rollups = np.stack([watching(face_from_s=8, face_to_s=10 + (k % 2)) for k in range(4)])
    dip = reports.key_moments(rollups)["attention_dip"]
    assert (dip["start_s"], dip["end_s"], dip["face_visible_rate"], dip["viewers"]) == (8.0, 10.0, 0.0, 4)
    assert dip["ad_face_visible_rate"] == pytest.approx(1 - 2.5 / 20)
    slight = np.stack([watching(face_from_s=8, face_to_s=8.25) for _ in range(4)])
    assert reports.key_moments(slight)["attention_dip"] is None  # 12.5 points down: a blink, not a dip
