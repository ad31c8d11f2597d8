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


def _flush(label, box, tolerance=3) -> bool:
    """The chip starts at the box's left edge, sitting on its top edge or just inside it."""
    x, y, _, _ = box
    left, top, _, bottom = label
    return abs(left - x) <= tolerance and (bottom == y or top == y)


def _box_rect(box):
    x, y, w, h = box
    return (x, y, x + w, y + h)


def test_labels_and_panels_of_a_group_photo_never_overlap():
    faces, layouts = _layout(GROUP_SHAPE, GROUP_BOXES, labels={2: "neutral"})
    _assert_no_collisions(GROUP_SHAPE, GROUP_BOXES, layouts)
    full = 0.75 * 667 / 800
    for face, layout in zip(faces, layouts):
        assert _flush(layout.label.rect, face.box) or _spans_centre_and_touches(layout.label.rect, face.box)
        assert layout.label.font_scale >= 0.8 * full - 1e-9  # words at full or the smaller size, never the number alone
        for other in GROUP_BOXES:  # a label does not cover a neighbour's face either
            assert other == face.box or not _intersect(layout.label.rect, _box_rect(other))
    # #2's and #3's boxes are too close for both "#n happy 60%" chips to start at their left edges
    # without one covering the other face: #2's slides left instead. Every other chip is flush.
    assert sum(_flush(layout.label.rect, face.box) for face, layout in zip(faces, layouts)) == 4
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
        white = np.all(region >= 200, axis=1).mean()  # the smaller text's thin strokes are mostly anti-aliased
        # Mostly the face's colour, uncovered by any neighbour, with the white text of its number on it.
        assert colour > 0.5 and white > 0.03, (face.box, colour, white)


# --- Reviewer's videos: portrait phone clips and a five-person group (issue: labels/panels placement) ---

# The tracked boxes of frame 25 of multi_face.jpg looped into a 1280x854 video (fast detector).
GROUP_VIDEO_SHAPE = (854, 1280, 3)
GROUP_VIDEO_BOXES = [(866, 388, 144, 144), (664, 410, 146, 144), (558, 284, 108, 110), (274, 92, 144, 144),
                     (394, 310, 146, 144)]
PORTRAIT_SHAPE = (1280, 720, 3)
PLAYER_BAND = 0.12  # bottom share of a video that a web player's controls cover


def _in_band(rect, shape) -> bool:
    return rect[3] > shape[0] * (1 - PLAYER_BAND)


@pytest.mark.parametrize("shape, boxes, numbers", [
    (GROUP_VIDEO_SHAPE, GROUP_VIDEO_BOXES, None),  # video labels carry no number: the track tag has it
    (PORTRAIT_SHAPE, [(58, 608, 554, 556)], None),  # a phone clip's face filling the width, low in the frame
    (PORTRAIT_SHAPE, [(100, 700, 520, 380)], None),  # wider than two labels: the old chip sat 50 px in
    (PORTRAIT_SHAPE, [(100, 700, 520, 380)], "table"),
    ((900, 540, 3), [(26, 320, 121, 162), (188, 291, 102, 122), (315, 410, 131, 175)], "table"),
], ids=["group-video", "portrait-big", "portrait-low", "portrait-low-numbered", "portrait-group"])
def test_label_chips_sit_flush_with_their_boxes(shape, boxes, numbers):
    _, layouts = _layout(shape, boxes, numbers=numbers)
    _assert_no_collisions(shape, boxes, layouts)
    for box, layout in zip(boxes, layouts):
        assert _flush(layout.label.rect, box), f"label {layout.label.rect} is not flush with the box {box}"


def test_a_label_goes_inside_the_top_edge_when_there_is_no_room_above():
    box = (40, 0, 300, 300)
    _, layouts = _layout((600, 800, 3), [box])
    left, top, _, _ = layouts[0].label.rect
    assert (left, top) == (40, 0)


def test_group_video_panels_cover_no_face_and_no_other_panel():
    _, layouts = _layout(GROUP_VIDEO_SHAPE, GROUP_VIDEO_BOXES, numbers=None)
    _assert_no_collisions(GROUP_VIDEO_SHAPE, GROUP_VIDEO_BOXES, layouts)
    assert all(layout.panel_rect is not None for layout in layouts)
    assert all(layout.panel.rows == len(EMOTIONS) for layout in layouts)  # room for the full panels
    assert not any(_in_band(layout.panel_rect, GROUP_VIDEO_SHAPE) for layout in layouts)


@pytest.mark.parametrize("box", [(180, 600, 360, 420), (58, 608, 554, 556), (100, 700, 520, 380)])
def test_a_portrait_face_low_in_the_frame_keeps_its_panel_out_of_the_player_controls(box):
    _, layouts = _layout(PORTRAIT_SHAPE, [box], numbers=None)
    _assert_no_collisions(PORTRAIT_SHAPE, [box], layouts)
    panel = layouts[0].panel_rect
    assert panel is not None
    assert not _in_band(panel, PORTRAIT_SHAPE), f"panel {panel} is under the player's controls"


def test_a_panel_that_cannot_go_beside_goes_above_rather_than_below():
    shape, box = (900, 500, 3), (100, 350, 300, 250)  # too wide for a panel on either side
    _, layouts = _layout(shape, [box])
    _assert_no_collisions(shape, [box], layouts)
    panel, label = layouts[0].panel_rect, layouts[0].label.rect
    assert panel is not None and panel[3] <= label[1]


def test_a_panel_goes_beside_its_face_when_there_is_room():
    shape, box = (720, 1280, 3), (500, 300, 200, 200)
    _, layouts = _layout(shape, [box])
    panel = layouts[0].panel_rect
    assert panel[0] >= box[0] + box[2] and panel[1] < box[1] + box[3] and panel[3] > box[1]


def test_the_bottom_band_is_used_when_nothing_else_fits():
    # The first face's middle is in the bottom band, a second face fills the space above it and
    # nothing fits below: beside it, reaching into the band, is the only free place.
    shape, boxes = (300, 900, 3), [(300, 230, 150, 70), (250, 20, 250, 180)]
    _, layouts = _layout(shape, boxes)
    _assert_no_collisions(shape, boxes, layouts)
    panel = layouts[0].panel_rect
    assert panel is not None and _in_band(panel, shape)
    assert panel[0] >= 450  # beside the face
    assert not _in_band(layouts[1].panel_rect, shape)  # the other face's panel has room outside it


# A strip of faces with room beside each for three rows of bars, not for seven (the frame is 90 px high).
STRIP_SHAPE = (90, 1000, 3)
STRIP_BOXES = [(10 + 240 * i, 20, 70, 60) for i in range(4)]


def test_a_crowded_face_gets_a_compact_panel_rather_than_none():
    _, layouts = _layout(STRIP_SHAPE, STRIP_BOXES)
    _assert_no_collisions(STRIP_SHAPE, STRIP_BOXES, layouts)
    assert all(layout.panel_rect is not None and layout.panel.rows == 3 for layout in layouts)
    assert not any(_in_band(layout.panel_rect, STRIP_SHAPE) for layout in layouts)


def test_with_no_free_place_the_panel_is_skipped_and_the_label_kept():
    shape, boxes = STRIP_SHAPE, [(10 + 160 * i, 20, 70, 60) for i in range(6)]  # 90 px apart: too close
    _, layouts = _layout(shape, boxes)
    _assert_no_collisions(shape, boxes, layouts)
    assert [layout.panel_rect for layout in layouts] == [None] * 6
    assert all(_flush(layout.label.rect, box) for box, layout in zip(boxes, layouts))


@pytest.mark.parametrize("seed", range(20))
def test_random_groups_never_get_panels_over_faces_or_each_other(seed):
    rng = np.random.default_rng(100 + seed)
    height, width = [(854, 1280), (1280, 720), (667, 1000), (480, 640)][seed % 4]
    shape, boxes = (height, width, 3), []
    while len(boxes) < int(rng.integers(2, 9)):
        size = int(rng.integers(40, max(41, min(height, width) // 4)))
        box = (int(rng.integers(0, width - size)), int(rng.integers(0, height - size)), size, size)
        if not any(_intersect(_grow_box(box, 10), _grow_box(other, 10)) for other in boxes):
            boxes.append(box)
    _, layouts = _layout(shape, boxes)
    _assert_no_collisions(shape, boxes, layouts)


def _grow_box(box, margin):
    x, y, w, h = box
    return (x - margin, y - margin, x + w + margin, y + h + margin)


def test_compact_panel_shows_the_top_emotions():
    from inference.render import EMOTION_COLOURS, layout_annotations

    shape, boxes = STRIP_SHAPE, STRIP_BOXES
    image = np.full(shape, 200, np.uint8)
    faces = [_face(box, "sad") for box in boxes]
    layouts = layout_annotations(shape, faces, None)
    annotated = render_annotated(image, _analysis(image, faces))
    drawn = [(face, layout) for face, layout in zip(faces, layouts) if layout.panel_rect is not None
             and layout.panel.rows < len(EMOTIONS)]
    assert drawn
    for face, layout in drawn:
        left, top, right, bottom = layout.panel_rect
        region = annotated[top:bottom, left:right].reshape(-1, 3)
        assert np.all(region == EMOTION_COLOURS["sad"], axis=1).any()  # the top emotion's bar is shown
        assert (annotated[bottom:, left:right] == 200).all()  # and nothing below the three rows


def test_video_frames_keep_the_player_band_clear_for_a_low_portrait_face():
    from inference.video import TrackedFace
    from inference.video_render import render_video_frame

    probabilities = {e: (0.6 if e == "happy" else 0.4 / 6) for e in EMOTIONS}
    face = TrackedFace(track_id=1, box=(180, 600, 360, 420), probabilities=probabilities, label="happy",
                       confidence=0.6, detection_score=0.9, detected=True)
    frame = np.full(PORTRAIT_SHAPE, 200, np.uint8)
    annotated = render_video_frame(frame, [face])
    band_top = int(PORTRAIT_SHAPE[0] * (1 - PLAYER_BAND)) + 1
    assert (annotated[band_top:] == 200).all()
    assert (annotated[:600, 180:540] != 200).any()  # the panel went above the face instead
