"""Fixtures shared by the whole suite: sample photos, users, API clients, service URLs."""

from pathlib import Path

import pytest

from fer_platform.settings.env import env_bool, env_str

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = (REPO_ROOT / ".." / "shared" / "samples").resolve()
DJANGO_TEST_FOLDERS = (REPO_ROOT / "tests" / "studies", REPO_ROOT / "tests" / "e2e")


@pytest.fixture(autouse=True)
def _media_in_tmp_path(request, tmp_path):
    """Every Django test writes uploads into its own folder."""
    test_path = Path(str(request.node.path)).resolve()
    uses_django = any(folder in test_path.parents for folder in DJANGO_TEST_FOLDERS)
    if not uses_django and not request.node.get_closest_marker("django_db"):
        return
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = tmp_path / "media"
    # the daily clearing sweeps it: never the machine's own (a run.sh worker's videos in progress)
    settings.FER_VIDEO_WORK_DIR = str(tmp_path / "video-work")
    from django.core.cache import cache

    cache.clear()  # counted sign-ins and joins (studies.rate_limits) are the test's own


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.fail(f"The sample photos are missing: expected them in {SAMPLES_DIR}.")
    return SAMPLES_DIR


@pytest.fixture
def sample_bytes(samples_dir):
    def read(name: str) -> bytes:
        return (samples_dir / name).read_bytes()

    return read


@pytest.fixture
def upload(sample_bytes):
    """Build an uploaded file from a sample photo name or from raw bytes."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def make(name_or_bytes, *, filename: str | None = None, content_type: str = "image/jpeg"):
        if isinstance(name_or_bytes, bytes):
            return SimpleUploadedFile(filename or "upload.bin", name_or_bytes, content_type=content_type)
        return SimpleUploadedFile(filename or name_or_bytes, sample_bytes(name_or_bytes), content_type=content_type)

    return make


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="producer", password="producer-password")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="someone-else", password="other-password")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def user_api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _services_or_skip(*names: str) -> dict:
    values = {name: env_str(name) for name in names}
    missing = [name for name, value in values.items() if not value]
    if not missing:
        return values
    reason = f"needs {', '.join(missing)} (the real PostgreSQL/Redis)"
    if env_bool("FER_REQUIRE_SERVICES", False):
        pytest.fail(f"FER_REQUIRE_SERVICES=1 but this test {reason}.")
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    return _services_or_skip("REDIS_URL")["REDIS_URL"]


@pytest.fixture
def postgres_and_redis_urls() -> dict:
    values = _services_or_skip("DATABASE_URL", "REDIS_URL")
    if not values["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        reason = f"DATABASE_URL is not PostgreSQL: {values['DATABASE_URL']}"
        if env_bool("FER_REQUIRE_SERVICES", False):
            pytest.fail(reason)
        pytest.skip(reason)
    return values


@pytest.fixture(scope="session")
def webcam_jpegs(samples_dir) -> list[bytes]:
    """single_face.mp4 as a webcam page sends it: 30 frames, 640x480 JPEG."""
    import cv2

    capture = cv2.VideoCapture(str(samples_dir / "single_face.mp4"))
    frames = []
    while len(frames) < 30:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(cv2.imencode(".jpg", cv2.resize(image, (640, 480)), [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
    capture.release()
    assert len(frames) == 30
    return frames
