import json

import numpy as np
import pytest

from inference import (
    EMOTIONS,
    FAST_DETECTOR,
    Engine,
    EngineOptions,
    ImageAnalysis,
    ModelNotFoundError,
    UnknownDetectorError,
    analyze_image,
    get_engine,
)
from inference import pipeline

EXPECTED_FACES = {"multi_face.jpg": 5, "single_face.jpg": 1, "ivan.jpg": 1, "no_faces.jpg": 0}


@pytest.mark.parametrize("name,expected", sorted(EXPECTED_FACES.items()))
def test_analyze_image_finds_and_classifies_every_face(engine_options, sample_image, name, expected):
    image = sample_image(name)
    analysis = analyze_image(image, options=engine_options)
    assert isinstance(analysis, ImageAnalysis)
    assert len(analysis.faces) == expected
    assert (analysis.width, analysis.height) == (image.shape[1], image.shape[0])
    assert analysis.detector == "mtcnn" and analysis.model == "tiny_emotion.keras"
    assert set(analysis.timings_ms) == {"detect", "crop", "classify", "total"}
    assert analysis.timings_ms["total"] >= analysis.timings_ms["detect"] > 0
    for face in analysis.faces:
        assert tuple(face.probabilities) == EMOTIONS
        assert sum(face.probabilities.values()) == pytest.approx(1.0, rel=1e-4)
        assert face.label == max(face.probabilities, key=face.probabilities.get)
        assert face.confidence == pytest.approx(face.probabilities[face.label])
        assert all(isinstance(v, int) for v in face.box)


def test_faces_come_left_to_right(engine, sample_image):
    xs = [face.box[0] for face in engine.analyze(sample_image("multi_face.jpg")).faces]
    assert xs == sorted(xs)


def test_each_face_gets_its_own_probabilities(engine, sample_image):
    faces = engine.analyze(sample_image("multi_face.jpg")).faces
    distinct = {tuple(round(p, 6) for p in face.probabilities.values()) for face in faces}
    assert len(distinct) == len(faces)


def test_encoded_bytes_are_decoded_and_timed(engine, sample_path):
    analysis = engine.analyze(sample_path("single_face.jpg").read_bytes())
    assert len(analysis.faces) == 1
    assert analysis.timings_ms["decode"] > 0


def test_the_fast_detector_is_a_setting(engine, sample_image):
    analysis = engine.analyze(sample_image("multi_face.jpg"), detector=FAST_DETECTOR)
    assert analysis.detector == FAST_DETECTOR and len(analysis.faces) == 5


def test_grey_and_bgra_arrays_are_accepted(engine, sample_image):
    import cv2

    image = sample_image("single_face.jpg")
    assert len(engine.analyze(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)).faces) == 1
    assert len(engine.analyze(cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)).faces) == 1


def test_non_images_are_refused(engine):
    with pytest.raises(TypeError):
        engine.analyze(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError):
        engine.analyze(np.zeros((10, 10, 2), np.uint8))


def test_unknown_detector_is_a_clear_error(engine, sample_image):
    with pytest.raises(UnknownDetectorError):
        engine.analyze(sample_image("no_faces.jpg"), detector="nope")


def test_to_dict_is_json_serialisable(engine, sample_image):
    analysis = engine.analyze(sample_image("multi_face.jpg"))
    data = json.loads(json.dumps(analysis.to_dict()))
    assert len(data["faces"]) == 5
    first = data["faces"][0]
    assert first["box"] == list(analysis.faces[0].box)
    assert list(first["probabilities"]) == list(EMOTIONS)
    assert set(first["landmarks"]) == {"left_eye", "right_eye", "nose", "mouth_left", "mouth_right"}
    assert data["width"] == 1000 and data["height"] == 667


def test_get_engine_returns_one_engine_per_options(engine_options, tiny_model_path):
    first = get_engine(engine_options)
    assert get_engine(EngineOptions(model_path=str(tiny_model_path))) is first
    assert get_engine(EngineOptions(model_path=tiny_model_path, min_face_size=60)) is not first
    assert get_engine() is get_engine(EngineOptions())


def test_models_load_once_per_engine(engine_options, sample_image, monkeypatch):
    loads = []
    real = pipeline.EmotionClassifier

    def counting(path):
        loads.append(path)
        return real(path)

    monkeypatch.setattr(pipeline, "EmotionClassifier", counting)
    engine = Engine(engine_options)
    image = sample_image("single_face.jpg")
    for _ in range(3):
        engine.analyze(image)
    assert len(loads) == 1
    assert engine.detector("mtcnn") is engine.detector()


def test_a_missing_model_is_reported(tmp_path, sample_image):
    options = EngineOptions(model_path=tmp_path / "missing.keras")
    with pytest.raises(ModelNotFoundError, match="missing.keras"):
        analyze_image(sample_image("single_face.jpg"), options=options)


def test_byte_limits_come_from_the_engine_options(tiny_model_path, sample_path):
    from inference import ImageTooLargeError

    small_limit = get_engine(EngineOptions(model_path=tiny_model_path, max_bytes=1000))
    with pytest.raises(ImageTooLargeError):
        small_limit.analyze(sample_path("single_face.jpg").read_bytes())


def test_large_photos_are_detected_on_a_shrunk_copy_with_boxes_in_full_size(engine_options, sample_image):
    import dataclasses

    import cv2

    big = cv2.resize(sample_image("multi_face.jpg"), (3000, 2001), interpolation=cv2.INTER_CUBIC)
    shrinking = get_engine(dataclasses.replace(engine_options, detect_max_side=1000))
    big_faces = shrinking.analyze(big).faces
    shrunk = cv2.resize(big, (1000, 667), interpolation=cv2.INTER_AREA)
    small_faces = sorted(shrinking.detector().detect(shrunk), key=lambda d: (d.box[0], d.box[1]))
    assert len(big_faces) == len(small_faces) == 5
    for small, large in zip(small_faces, big_faces):
        assert large.box == pytest.approx(tuple(3 * v for v in small.box), abs=3)
        assert large.landmarks["nose"] == pytest.approx(tuple(3 * v for v in small.landmarks["nose"]), abs=0.1)
