"""The views the classifier averages: shifted and mirrored faces, and which faces get the shifts."""

import cv2
import numpy as np
import pytest

from inference.classifiers import EmotionClassifier, Views
from inference.classifiers.views import BY_NAME, MIRROR, ONE, SERVED, shifted, top_two_margin

from .conftest import build_tiny_model, keras_predict, random_crops


@pytest.fixture(scope="module")
def placed_model_path(tmp_path_factory):
    """A tiny random CNN that, unlike one ending in global pooling, sees where things sit in the crop."""
    return build_tiny_model(tmp_path_factory.mktemp("model") / "placed.keras", seed=11, filters=2, head="flatten")


def _moved_by_opencv(crops, dx, dy):
    """The reference shift: an affine translation with the border pixels repeated."""
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return np.stack([cv2.warpAffine(crop, matrix, (48, 48), borderMode=cv2.BORDER_REPLICATE) for crop in crops])


@pytest.mark.parametrize("dx, dy", [(2, 0), (-2, 0), (0, 2), (0, -2), (1, -3)])
def test_shifted_moves_the_face_and_repeats_the_edge(dx, dy):
    crops = random_crops(3, seed=1)
    moved = shifted(crops, dx, dy)
    assert moved.shape == crops.shape
    np.testing.assert_array_equal(moved, _moved_by_opencv(crops, dx, dy))
    np.testing.assert_array_equal(shifted(crops[..., None], dx, dy)[..., 0], moved)  # channel-last too


def test_no_shift_is_the_face_itself():
    crops = random_crops(2)
    assert shifted(crops, 0, 0) is crops


def test_top_two_margin_is_the_gap_between_the_two_likeliest():
    rows = np.array([[0.5, 0.3, 0.2], [0.1, 0.45, 0.45], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(top_two_margin(rows), [0.2, 0.0, 1.0])


def test_unsure_faces_are_those_whose_two_likeliest_lie_within_the_margin():
    rows = np.array([[0.5, 0.3, 0.2], [0.1, 0.45, 0.45], [0.0, 0.0, 1.0], [0.4, 0.35, 0.25]])
    views = Views(mirror=True, shift_pixels=2, unsure_margin=0.1)
    np.testing.assert_array_equal(views.unsure(rows), [False, True, False, True])
    assert not MIRROR.unsure(rows).any() and MIRROR.unsure(rows).shape == (4,)  # no shifts, nobody gets them
    assert SERVED.unshifted == MIRROR and Views(mirror=False, shift_pixels=3).unshifted == ONE


def test_views_are_checked_and_described():
    with pytest.raises(ValueError, match="must not be negative"):
        Views(shift_pixels=-1)
    with pytest.raises(ValueError, match="must not be negative"):
        Views(unsure_margin=-0.1)
    assert ONE.offsets == () and MIRROR.offsets == ()
    assert set(SERVED.offsets) == {(2, 0), (-2, 0), (0, 2), (0, -2)}
    assert SERVED.describe() == ("each face and its mirror, plus 4 shifts of 2 px each mirrored for faces "
                                 "whose two likeliest emotions lie within 0.25")
    assert BY_NAME["all-shifts"].describe().endswith("for every face")
    assert SERVED.to_dict()["description"] == SERVED.describe()


def _ten_view_mean(model_path, crops, pixels=2):
    positions = [(0, 0), (pixels, 0), (-pixels, 0), (0, pixels), (0, -pixels)]
    views = [_moved_by_opencv(crops, dx, dy) for dx, dy in positions]
    views += [view[:, :, ::-1] for view in views]
    return np.mean([keras_predict(model_path, view) for view in views], axis=0)


def test_every_face_can_get_all_ten_views(placed_model_path):
    crops = random_crops(5, seed=2)
    every_face = Views(mirror=True, shift_pixels=2, unsure_margin=1.0)
    probabilities = EmotionClassifier(placed_model_path, views=every_face).predict(crops)
    np.testing.assert_allclose(probabilities, _ten_view_mean(placed_model_path, crops), atol=1e-5)


def test_only_faces_the_model_is_unsure_about_get_the_shifted_views(placed_model_path):
    crops = random_crops(40, seed=3)
    classifier = EmotionClassifier(placed_model_path, views=MIRROR)
    mirrored = classifier.predict(crops)
    margins = top_two_margin(mirrored)
    threshold = float(np.median(margins))
    unsure = margins < threshold
    assert 0 < unsure.sum() < len(crops)

    views = Views(mirror=True, shift_pixels=2, unsure_margin=threshold)
    probabilities = classifier.predict(crops, views=views)
    np.testing.assert_allclose(probabilities[~unsure], mirrored[~unsure], atol=1e-6)
    np.testing.assert_allclose(probabilities[unsure], _ten_view_mean(placed_model_path, crops[unsure]), atol=1e-5)
    assert not np.allclose(probabilities[unsure], mirrored[unsure], atol=1e-4), "the shifts changed nothing"
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_shifted_views_give_the_same_rows_in_any_batch(placed_model_path):
    crops = random_crops(50, seed=4)  # 4 shifted views a face, not mirrored: slices of 32 faces per pass
    classifier = EmotionClassifier(placed_model_path, views=Views(mirror=False, shift_pixels=3))
    together = classifier.predict(crops)
    apart = np.concatenate([classifier.predict(crops[i:i + 7]) for i in range(0, 50, 7)])
    np.testing.assert_allclose(together, apart, atol=1e-5)
    positions = [(0, 0), (3, 0), (-3, 0), (0, 3), (0, -3)]
    expected = np.mean([keras_predict(placed_model_path, _moved_by_opencv(crops, dx, dy)) for dx, dy in positions],
                       axis=0)
    np.testing.assert_allclose(together, expected, atol=1e-5)
