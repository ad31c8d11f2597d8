import numpy as np
import pytest

from inference import FAST_DETECTOR, UnknownDetectorError
from inference.detectors import create_detector
from inference.detectors.blazeface_detector import ssd_anchors, weighted_nms
from inference.detectors.mtcnn_detector import pyramid_scales

EXPECTED_FACES = {"multi_face.jpg": 5, "single_face.jpg": 1, "ivan.jpg": 1, "no_faces.jpg": 0}
MIN_FACE_SIZE = 40


@pytest.fixture(scope="module")
def mtcnn():
    return create_detector("mtcnn", min_face_size=MIN_FACE_SIZE)


@pytest.fixture(scope="module")
def fast():
    return create_detector(FAST_DETECTOR, min_face_size=MIN_FACE_SIZE)


@pytest.mark.parametrize("name,expected", sorted(EXPECTED_FACES.items()))
def test_mtcnn_finds_every_face_in_the_samples(mtcnn, sample_image, name, expected):
    image = sample_image(name)
    faces = mtcnn.detect(image)
    assert len(faces) == expected
    height, width = image.shape[:2]
    for face in faces:
        x, y, w, h = face.box
        assert 0 <= x and 0 <= y and x + w <= width and y + h <= height and w >= 20 and h >= 20
        assert 0.9 <= face.score <= 1.0
        assert set(face.landmarks) == {"left_eye", "right_eye", "nose", "mouth_left", "mouth_right"}
        nose_x, nose_y = face.landmarks["nose"]
        assert x <= nose_x <= x + w and y <= nose_y <= y + h


@pytest.mark.parametrize("name,expected", sorted(EXPECTED_FACES.items()))
def test_fast_detector_finds_every_face_in_the_samples(fast, sample_image, name, expected):
    faces = fast.detect(sample_image(name))
    assert len(faces) == expected
    for face in faces:
        x, y, w, h = face.box
        nose_x, nose_y = face.landmarks["nose"]
        assert x <= nose_x <= x + w and y <= nose_y <= y + h


def test_both_detectors_agree_on_where_the_faces_are(mtcnn, fast, sample_image):
    image = sample_image("multi_face.jpg")
    centres = lambda faces: sorted((f.box[0] + f.box[2] / 2, f.box[1] + f.box[3] / 2) for f in faces)  # noqa: E731
    for (ax, ay), (bx, by) in zip(centres(mtcnn.detect(image)), centres(fast.detect(image))):
        assert abs(ax - bx) < 40 and abs(ay - by) < 40


@pytest.mark.parametrize("name", ["mtcnn", FAST_DETECTOR, "haar"])
@pytest.mark.parametrize("shape", [(10, 10, 3), (30, 500, 3), (300, 300, 3)])
def test_blank_and_tiny_images_give_no_faces(name, shape):
    detector = create_detector(name, min_face_size=MIN_FACE_SIZE)
    assert detector.detect(np.full(shape, 127, np.uint8)) == []


def test_unknown_detector_names_the_known_ones():
    with pytest.raises(UnknownDetectorError, match="mtcnn"):
        create_detector("yolo", min_face_size=20)


@pytest.mark.parametrize("min_face_size", [12, 20, 40, 80, 200])
def test_mtcnn_pyramid_never_goes_below_pnet_input(min_face_size):
    width, height = 1000, 667
    scales = pyramid_scales(width, height, min_face_size, 0.709)
    assert len(scales) > 0
    assert scales[0] == pytest.approx(12 / min_face_size)
    assert min(width, height) * scales[-1] >= 12
    assert min(width, height) * scales[-1] * 0.709 < 12  # and it goes as far as it can


def test_mtcnn_pyramid_is_empty_when_the_image_is_smaller_than_a_face():
    assert len(pyramid_scales(30, 30, 40, 0.709)) == 0


def test_ssd_anchor_counts_match_mediapipe_models():
    assert ssd_anchors(128, (8, 16, 16, 16), 2).shape == (896, 2)
    assert ssd_anchors(192, (4,), 1).shape == (2304, 2)


def test_weighted_nms_merges_overlapping_detections():
    def detection(x1, y1, x2, y2):
        return np.array([[x1, y1], [x2, y2]], np.float32)

    points = np.stack([detection(0, 0, 10, 10), detection(1, 1, 11, 11), detection(50, 50, 60, 60)])
    scores = np.array([0.9, 0.9, 0.8], np.float32)
    kept, kept_scores = weighted_nms(points, scores, 0.3)
    assert len(kept) == 2
    np.testing.assert_allclose(kept[0], detection(0.5, 0.5, 10.5, 10.5))
    np.testing.assert_allclose(kept_scores, [0.9, 0.8])


def test_haar_cascade_finds_a_frontal_face(sample_image):
    faces = create_detector("haar", min_face_size=MIN_FACE_SIZE).detect(sample_image("single_face.jpg"))
    assert len(faces) == 1 and faces[0].landmarks is None and 0 < faces[0].score <= 1
