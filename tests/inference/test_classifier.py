import gc

import numpy as np
import pytest

from inference import DEFAULT_MODEL_PATH, EMOTIONS, IncompatibleModelError, ModelNotFoundError
from inference.classifiers import EmotionClassifier
from inference.classifiers.views import MIRROR, ONE, SERVED

from .conftest import keras_predict, random_crops


@pytest.fixture(scope="module")
def classifier(tiny_model_path):
    return EmotionClassifier(tiny_model_path)


def test_the_classifier_serves_the_served_views_unless_told_otherwise(classifier, tiny_model_path):
    assert classifier.views == SERVED
    assert EmotionClassifier(tiny_model_path, views=ONE).views == ONE


def test_predict_returns_one_probability_row_per_crop(classifier):
    probabilities = classifier.predict(random_crops(5))
    assert probabilities.shape == (5, len(EMOTIONS)) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert (probabilities >= 0).all()


def test_batch_and_single_predictions_agree(classifier):
    crops = random_crops(4, seed=1)
    batch = classifier.predict(crops)
    singles = np.concatenate([classifier.predict(crops[i:i + 1]) for i in range(4)])
    np.testing.assert_allclose(batch, singles, atol=1e-5)


def test_the_model_sees_raw_pixel_values(tiny_model_path):
    crops = random_crops(2, seed=2)
    expected = keras_predict(tiny_model_path, crops)
    np.testing.assert_allclose(EmotionClassifier(tiny_model_path, views=ONE).predict(crops), expected, atol=1e-5)


def test_each_face_is_averaged_with_its_mirror_image(classifier, tiny_model_path):
    crops = random_crops(3, seed=6)
    expected = (keras_predict(tiny_model_path, crops) + keras_predict(tiny_model_path, crops[:, :, ::-1])) / 2
    np.testing.assert_allclose(classifier.predict(crops, views=MIRROR), expected, atol=1e-5)
    np.testing.assert_allclose(classifier.predict(crops[:, :, ::-1], views=MIRROR),
                               classifier.predict(crops, views=MIRROR), atol=1e-6)


@pytest.fixture(scope="module")
def tiny_tflite_path(tiny_model_path, tmp_path_factory):
    """The tiny Keras model as training.export writes it, in float32 so results compare exactly."""
    import keras

    from training.export import to_tflite

    path = tmp_path_factory.mktemp("tflite") / "tiny_emotion.tflite"
    path.write_bytes(to_tflite(keras.models.load_model(tiny_model_path, compile=False), None))
    return path


@pytest.mark.parametrize("views", [ONE, MIRROR, SERVED])
def test_a_tflite_file_gives_the_keras_models_probabilities(tiny_tflite_path, tiny_model_path, views):
    crops = random_crops(5, seed=7)
    served = EmotionClassifier(tiny_tflite_path, views=views).predict(crops)
    np.testing.assert_allclose(served, EmotionClassifier(tiny_model_path, views=views).predict(crops), atol=1e-5)
    assert served.dtype == np.float32


def test_a_tflite_file_takes_any_batch_size_in_turn(tiny_tflite_path):
    tflite = EmotionClassifier(tiny_tflite_path)
    crops = random_crops(300, seed=8)
    first = tflite.predict(crops[:3])
    assert tflite.predict(crops[:1]).shape == (1, 7)
    assert tflite.predict(crops).shape == (300, 7)  # slices of 64 faces and a rest of 44
    np.testing.assert_allclose(tflite.predict(crops[:3]), first, atol=1e-6)


def test_a_tflite_file_that_returns_probabilities_is_taken_as_it_is(tiny_model_path, tmp_path):
    import keras
    import tensorflow as tf

    model = keras.models.load_model(tiny_model_path, compile=False)
    path = tmp_path / "softmax.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())  # output unnamed, softmax inside
    crops = random_crops(4, seed=9)
    np.testing.assert_allclose(EmotionClassifier(path, views=ONE).predict(crops),
                               keras_predict(tiny_model_path, crops), atol=1e-5)


def test_a_tflite_file_with_the_wrong_input_is_refused(tmp_path):
    import keras
    import tensorflow as tf

    inputs = keras.Input((64, 64, 1))
    model = keras.Model(inputs, keras.layers.Dense(7, activation="softmax")(keras.layers.Flatten()(inputs)))
    path = tmp_path / "wide.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    with pytest.raises(IncompatibleModelError, match="48, 48, 1"):
        EmotionClassifier(path)


def test_a_file_that_is_not_a_tflite_model_is_refused(tmp_path):
    bogus = tmp_path / "bogus.tflite"
    bogus.write_bytes(b"TFL3 but not really" * 10)
    with pytest.raises(IncompatibleModelError, match="bogus.tflite cannot be loaded as TensorFlow Lite"):
        EmotionClassifier(bogus)


def test_large_requests_are_sliced_without_changing_results(classifier):
    crops = random_crops(300, seed=3)
    result = classifier.predict(crops)
    assert result.shape == (300, 7)
    np.testing.assert_allclose(result[290:], classifier.predict(crops[290:]), atol=1e-5)


def test_no_crops_give_no_rows(classifier):
    assert classifier.predict(np.empty((0, 48, 48), np.uint8)).shape == (0, 7)


def test_channel_last_crops_are_accepted(classifier):
    crops = random_crops(2, seed=4)
    np.testing.assert_allclose(classifier.predict(crops[..., None]), classifier.predict(crops), atol=1e-6)


def test_wrong_crop_shape_is_refused(classifier):
    with pytest.raises(ValueError, match="48, 48"):
        classifier.predict(np.zeros((2, 64, 64), np.uint8))


def test_missing_model_file_says_where_it_looked(tmp_path):
    missing = tmp_path / "nowhere" / "emotion_cnn.keras"
    with pytest.raises(ModelNotFoundError, match="nowhere"):
        EmotionClassifier(missing)


def test_a_model_with_the_wrong_number_of_classes_is_refused(tmp_path, tiny_model_factory):
    five_classes = tiny_model_factory(tmp_path / "five.keras", classes=5)
    with pytest.raises(IncompatibleModelError, match="7"):
        EmotionClassifier(five_classes)


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    bogus = tmp_path / "bogus.keras"
    bogus.write_bytes(b"not a keras archive")
    with pytest.raises(IncompatibleModelError):
        EmotionClassifier(bogus)


def test_the_default_model_path_is_in_the_repo_models_folder():
    assert DEFAULT_MODEL_PATH.parent.name == "models"
    assert (DEFAULT_MODEL_PATH.parent.parent / "inference").is_dir()


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.is_file(), reason="models/emotion_cnn.tflite is not exported yet")
def test_the_shipped_model_honours_the_contract():
    classifier = EmotionClassifier(DEFAULT_MODEL_PATH)
    probabilities = classifier.predict(random_crops(3, seed=5))
    assert probabilities.shape == (3, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-4)


def test_a_tflite_model_loads_and_resizes_before_any_garbage_collection():
    # A live camera connecting to a just-started server built the classifier before the collector had
    # run once, and TensorFlow Lite refused the first resize ("at least 1 reference to internal data").
    gc.disable()
    try:
        classifier = EmotionClassifier(DEFAULT_MODEL_PATH)  # the shipped .tflite; its warm-up resizes to 1
        assert classifier.predict(random_crops(3, seed=4)).shape == (3, len(EMOTIONS))
    finally:
        gc.enable()
