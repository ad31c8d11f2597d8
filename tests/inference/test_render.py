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


# --- Layout: where labels and probability panels go (inference.render.layout_annotations) ---

# The five faces MTCNN finds in multi_face.jpg (1000x667), side by side and at staggered heights:
# the photo whose labels used to cover each other ("happy 8" under the next face's label).
GROUP_SHAPE = (667, 1000, 3)
GROUP_BOXES = [(218, 67, 82, 105), (317, 233, 94, 125), (440, 218, 76, 89), (533, 300, 100, 136),
               (685, 290, 101, 130)]


def _layout(shape, boxes, labels=None, numbers="table"):
    from inference.render import layout_annotations

    faces = [_face(box, (labels or {}).get(i, "happy")) for i, box in enumerate(boxes)]
    numbers = range(1, len(faces) + 1) if numbers == "table" else numbers
    return faces, layout_annotations(shape, faces, numbers)


def _intersect(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _inside(rect, shape) -> bool:
    return 0 <= rect[0] < rect[2] <= shape[1] and 0 <= rect[1] < rect[3] <= shape[0]


def _assert_no_collisions(shape, boxes, layouts):
    labels = [layout.label.rect for layout in layouts]
    panels = [layout.panel_rect for layout in layouts if layout.panel_rect is not None]
    for rect in labels + panels:
        assert _inside(rect, shape), f"{rect} leaves the {shape[1]}x{shape[0]} image"
    drawn = labels + panels
    for i, a in enumerate(drawn):
        for b in drawn[i + 1:]:
            assert not _intersect(a, b), f"{a} and {b} overlap"
    for panel in panels:
        for box in boxes:
            assert not _intersect(panel, (box[0], box[1], box[0] + box[2], box[1] + box[3])), \
                f"panel {panel} covers the face at {box}"


def _spans_centre_and_touches(label, box) -> bool:
    """The label reads as its face's: over the box's centre column, on the box's top or bottom edge or inside."""
    x, y, w, h = box
    left, top, right, bottom = label
    return left <= x + w // 2 <= right and (bottom == y or top == y + h or top == y)


def test_labels_and_panels_of_a_group_photo_never_overlap():
    faces, layouts = _layout(GROUP_SHAPE, GROUP_BOXES, labels={2: "neutral"})
    _assert_no_collisions(GROUP_SHAPE, GROUP_BOXES, layouts)
    for face, layout in zip(faces, layouts):
        assert _spans_centre_and_touches(layout.label.rect, face.box)
        assert layout.label.font_scale == pytest.approx(0.75 * 667 / 800)  # there is room: full size, not shrunk
    assert all(layout.panel_rect is not None for layout in layouts)  # and room for every panel


def test_labels_carry_the_face_numbers_of_the_results_table():
    _, layouts = _layout(GROUP_SHAPE, GROUP_BOXES, labels={2: "neutral"})
    assert [layout.label.text for layout in layouts] == [
        "#1 happy 60%", "#2 happy 60%", "#3 neutral 60%", "#4 happy 60%", "#5 happy 60%"]


def test_without_numbers_the_label_has_none():
    # Video frames: draw_annotations is called without numbers and tags faces with track ids itself.
    _, layouts = _layout(GROUP_SHAPE, GROUP_BOXES[:1], numbers=None)
    assert layouts[0].label.text == "happy 60%"


@pytest.mark.parametrize("gap", [0, 4, 20])
def test_a_row_of_adjacent_faces_gets_separate_labels(gap):
    shape, size = (480, 640, 3), 70
    boxes = [(10 + i * (size + gap), 200, size, size) for i in range(640 // (size + gap))]
    _, layouts = _layout(shape, boxes)
    _assert_no_collisions(shape, boxes, layouts)
    for box, layout in zip(boxes, layouts):
        assert _spans_centre_and_touches(layout.label.rect, box)


def test_faces_on_every_border_keep_their_labels_and_panels_inside():
    shape = (400, 600, 3)
    boxes = [(0, 0, 90, 90), (510, 0, 90, 90), (0, 310, 90, 90), (510, 310, 90, 90), (255, 0, 90, 400)]
    _, layouts = _layout(shape, boxes)
    _assert_no_collisions(shape, boxes, layouts)


@pytest.mark.parametrize("seed", range(5))
def test_a_crowd_in_a_small_image_still_has_readable_separate_labels(seed):
    # 320 px wide, a dozen faces ~30 px: not every panel fits, every label still does.
    rng = np.random.default_rng(seed)
    shape, boxes = (240, 320, 3), []
    for row in range(3):
        for column in range(4):
            size = int(rng.integers(26, 36))
            boxes.append((8 + column * 78 + int(rng.integers(0, 10)), 30 + row * 72 + int(rng.integers(0, 8)),
                          size, size))
    _, layouts = _layout(shape, boxes)
    _assert_no_collisions(shape, boxes, layouts)
    assert any(layout.panel_rect is None for layout in layouts)  # the crowd's fallback: labels only


def test_a_panel_with_no_room_is_left_out_rather_than_drawn_over_a_label():
    # Two faces filling a strip: there is nowhere for bars without covering a face or a label.
    shape = (200, 400, 3)
    boxes = [(0, 40, 190, 150), (210, 40, 190, 150)]
    _, layouts = _layout(shape, boxes)
    _assert_no_collisions(shape, boxes, layouts)
    assert [layout.panel_rect for layout in layouts] == [None, None]


def test_render_draws_each_label_where_the_layout_puts_it():
    from inference.render import EMOTION_COLOURS

    image = np.full(GROUP_SHAPE, 200, np.uint8)
    faces, layouts = _layout(GROUP_SHAPE, GROUP_BOXES, labels={2: "neutral"})
    annotated = render_annotated(image, _analysis(image, faces))
    for face, layout in zip(faces, layouts):
        left, top, right, bottom = layout.label.rect
        region = annotated[top:bottom, left:right].reshape(-1, 3)
        colour = np.all(region == EMOTION_COLOURS[face.label], axis=1).mean()
        white = np.all(region >= 250, axis=1).mean()
        # Mostly the face's colour, uncovered by any neighbour, with the white text of its number on it.
        assert colour > 0.5 and white > 0.03, (face.box, colour, white)
