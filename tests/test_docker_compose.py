"""docker-compose.yml against the code it runs: every variable it sets is one something reads, and the
order of starting keeps migrations single and first."""

import re
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def test_every_variable_compose_sets_is_read_by_the_settings_or_a_start_script():
    readers = "".join(path.read_text() for path in [*(REPO_ROOT / "fer_platform" / "settings").glob("*.py"),
                                                    *(REPO_ROOT / "docker").rglob("*.sh")])
    for name in _compose()["x-platform-env"]:
        assert re.search(rf"\b{name}\b", readers), f"{name} is set in docker-compose.yml but nothing reads it"


def test_one_setup_migrates_before_web_workers_and_beat_start():
    services = _compose()["services"]
    assert "manage.py migrate" in (REPO_ROOT / "docker" / "setup.sh").read_text()
    assert services["setup"]["restart"] == "no"
    for role in ("web", "worker", "scheduler"):
        assert services[role]["depends_on"]["setup"] == {"condition": "service_completed_successfully"}
        command = services[role]["command"][0]
        assert not command.endswith(".sh") or "manage.py migrate" not in (REPO_ROOT / command).read_text()


def test_a_stopping_worker_may_finish_a_long_video_and_writes_it_to_its_own_volume():
    worker = _compose()["services"]["worker"]
    assert worker["stop_grace_period"] == "15m"
    assert "video-work:/data/work" in worker["volumes"]
    assert _compose()["x-platform-env"]["FER_VIDEO_WORK_DIR"] == "/data/work"
