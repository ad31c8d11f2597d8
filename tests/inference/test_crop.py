import numpy as np
import pytest

from inference.crop import CROP_MARGIN, face_crop_gray48


def _white_square_on_black(box, size=(200, 300)):
    image = np.zeros(size + (3,), np.uint8)
    x, y, w, h = box
    image[y:y + h, x:x + w] = 255
    return image


def test_crop_is_48x48_grey_uint8():
    image = _white_square_on_black((100, 50, 60, 60))
    crop = face_crop_gray48(image, (100, 50, 60, 60))
    assert crop.shape == (48, 48) and crop.dtype == np.uint8


def test_crop_is_square_with_a_margin_around_the_face():
    box = (100, 50, 60, 60)
    crop = face_crop_gray48(_white_square_on_black(box), box)
    assert crop[24, 24] == 255  # the face is centred
    assert crop[0, 0] == 0 and crop[47, 47] == 0  # and framed by what surrounds it
    margin_px = 48 * (CROP_MARGIN / 2) / (1 + CROP_MARGIN)
    assert crop[24, int(margin_px) + 2] == 255 and crop[24, int(margin_px) - 2] == 0


def test_tall_boxes_are_squared_on_their_longer_side():
    box = (120, 40, 40, 100)  # portrait box: the crop must not squash the face sideways
    crop = face_crop_gray48(_white_square_on_black(box), box)
    white_columns = np.flatnonzero(crop[24] > 128)
    assert 12 <= len(white_columns) <= 22  # 40/100 of the face height, not the full width


@pytest.mark.parametrize("box", [(-20, -20, 60, 60), (260, 160, 60, 60), (-50, -50, 400, 300)])
def test_boxes_over_the_border_are_padded(box):
    image = np.full((200, 300, 3), 90, np.uint8)
    crop = face_crop_gray48(image, box)
    assert crop.shape == (48, 48)
    assert (crop == 90).all()  # replicated border, no black bands


def test_a_box_outside_the_image_is_an_error():
    with pytest.raises(ValueError, match="outside"):
        face_crop_gray48(np.zeros((50, 50, 3), np.uint8), (100, 100, 20, 20))
