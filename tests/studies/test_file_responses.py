"""download_name_for: the name a browser is offered for a job's file, made safe from the upload's name."""

import pytest

from studies.file_responses import DOWNLOAD_STEM_BYTES, download_name_for


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("holiday.jpg", "holiday_annotated.jpg"),
        ("holiday.PNG", "holiday_annotated.jpg"),  # the output is a JPEG whatever the upload was
        ("archive.tar.gz", "archive.tar_annotated.jpg"),
        ("no extension", "no extension_annotated.jpg"),
        ("../../etc/passwd.jpg", "passwd_annotated.jpg"),
        ("C:\\Users\\ana\\Pictures\\team.jpg", "team_annotated.jpg"),
        ('say "cheese".jpg', "say _cheese_annotated.jpg"),
        ("Live camera, 27 Nov 2026 12:00:00", "Live camera, 27 Nov 2026 12_00_00_annotated.jpg"),
        ("a<b>c|d?e*.jpg", "a_b_c_d_e_annotated.jpg"),
        ("two\tlines\r\nname.jpg", "two lines name_annotated.jpg"),
        ("bell\x07\x00null.jpg", "bellnull_annotated.jpg"),
        # a right-to-left override would make "photo\u202egpj.exe" read as "photoexe.jpg"
        ("photo\u202egpj.exe", "photogpj_annotated.jpg"),
        ("Fête d'été.jpg", "Fête d'été_annotated.jpg"),
        ("  .hidden .jpg", "hidden_annotated.jpg"),
    ],
)
def test_the_uploads_stem_is_kept_and_made_safe(original, expected):
    assert download_name_for(original, "annotated.jpg", fallback="annotated.jpg") == expected


@pytest.mark.parametrize("original", ["", "...", "/", "\u202e", " \t "])
def test_nothing_usable_left_gives_the_fallback(original):
    assert download_name_for(original, "timeline.csv", fallback="1234-timeline.csv") == "1234-timeline.csv"


def test_a_long_name_is_cut_on_a_character_boundary_to_fit_a_file_system():
    name = download_name_for("é" * 200 + ".jpg", "annotated.jpg", fallback="annotated.jpg")

    assert name == "é" * (DOWNLOAD_STEM_BYTES // 2) + "_annotated.jpg"
    assert len(name.encode()) <= 255


@pytest.mark.parametrize("thread_sensitive", [False, True])
def test_a_client_gone_mid_read_closes_the_file_once_that_read_is_done(thread_sensitive):
    # Daphne cancels the response twice (the client's disconnect, then the application's timeout); the
    # file was closed while a worker thread still read it: "generator already executing", file left open.
    import asyncio
    import threading

    from studies.file_responses import _read_in_a_thread

    reading, release, closed = threading.Event(), threading.Event(), []

    def chunks():
        try:
            yield b"first"
            reading.set()
            release.wait(10)
            yield b"second"
        finally:
            closed.append("closed")

    async def client_leaves_mid_read():
        body = _read_in_a_thread(chunks(), thread_sensitive=thread_sensitive)
        assert await body.__anext__() == b"first"
        task = asyncio.ensure_future(body.__anext__())
        await asyncio.get_running_loop().run_in_executor(None, reading.wait, 10)
        for _ in range(2):
            task.cancel()
            await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(task, return_exceptions=True)
        for _ in range(100):  # the close may still be on its way in its thread
            if closed:
                break
            await asyncio.sleep(0.02)
        return task

    task = asyncio.run(client_leaves_mid_read())
    assert task.cancelled() and closed == ["closed"]
