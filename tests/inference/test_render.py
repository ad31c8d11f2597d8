import numpy as np
import pytest

from inference import EMOTIONS, Face, ImageAnalysis, render_annotated


def _face(box, label="happy"):
    rest = (1.0 - 0.6) / (len(EMOTIONS) - 1)
    probabilities = {e: (0.6 if e == label else rest) for e in EMOTIONS}
    return Face(box=box, detection_score=0.99, landmarks=None, probabilities=probabilities,
                label=label, confidence=0.6)


def _analysis(image, faces):
    return ImageAnalysis(faces=faces, width=image.shape[1], height=image.shape[0], detector="test",
                         model="test")


def test_render_of_a_real_analysis_marks_every_face(engine, sample_image):
    image = sample_image("multi_face.jpg")
    analysis = engine.analyze(image)
    original = image.copy()
    annotated = render_annotated(image, analysis)
    assert annotated.shape == image.shape and annotated.dtype == np.uint8
    np.testing.assert_array_equal(image, original)  # the input is not drawn on
    for face in analysis.faces:
        x, y, w, h = face.box
        edge_before, edge_after = image[y:y + h, x:x + 3], annotated[y:y + h, x:x + 3]
        assert (edge_before != edge_after).any()


def test_no_faces_leaves_the_image_as_it_was(sample_image):
    image = sample_image("no_faces.jpg")
    np.testing.assert_array_equal(render_annotated(image, _analysis(image, [])), image)


@pytest.mark.parametrize("label", EMOTIONS)
def test_every_emotion_gets_its_emoji_and_bars(label):
    image = np.full((400, 600, 3), 200, np.uint8)
    annotated = render_annotated(image, _analysis(image, [_face((200, 150, 120, 140), label)]))
    assert (annotated[:150] != 200).any()  # label and emoji above the box
    assert (annotated[150:300, 330:] != 200).any()  # bars to the right of the box
    assert (annotated[350:] == 200).all()  # nothing strays far from the face


@pytest.mark.parametrize("box", [(0, 0, 80, 80), (520, 320, 80, 80), (260, 0, 80, 400)])
def test_annotations_stay_inside_the_image_near_borders(box):
    image = np.full((400, 600, 3), 200, np.uint8)
    annotated = render_annotated(image, _analysis(image, [_face(box)]))
    assert annotated.shape == image.shape


def test_tiny_images_still_get_box_and_label():
    image = np.full((60, 60, 3), 200, np.uint8)
    annotated = render_annotated(image, _analysis(image, [_face((5, 20, 50, 38))]))
    assert annotated.shape == (60, 60, 3)
    assert (annotated != 200).any()


def test_text_grows_with_the_image():
    def drawn_pixels(size):
        image = np.full((size, size, 3), 200, np.uint8)
        box = (size // 3, size // 3, size // 4, size // 4)
        return int((render_annotated(image, _analysis(image, [_face(box)])) != 200).any(axis=2).sum())

    assert drawn_pixels(1600) > 2 * drawn_pixels(600)
