"""`python manage.py analyze_image PATH... [--json] [--out DIR]`: analyse images from the shell.

Calls the inference library directly (no jobs, no worker), printing each face's
emotion with its confidence, box and the seven probabilities in percent, and
writing an annotated copy of every image. With --json it prints, per image, the
input "path", the API's analysis (probabilities and confidence as fractions 0..1,
like `python -m inference.cli --json`) and "annotated_image".
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studies.services import get_analysis_engine


def _read_file(path: Path) -> bytes:
    # read_bytes alone would say "[Errno 21] Is a directory: ..."; users get the problem in words.
    if path.is_dir():
        raise IsADirectoryError("is a directory, not an image file (name the images in it, e.g. DIR/*.jpg).")
    if not path.exists():
        raise FileNotFoundError("no such file.")
    return path.read_bytes()


class Command(BaseCommand):
    help = "Detect faces in images and classify their emotions; writes annotated copies."

    def add_arguments(self, parser):
        from inference import ACCURATE_DETECTOR, DETECTORS

        parser.add_argument("paths", nargs="+", metavar="PATH", help="image files (png, jpeg, bmp, webp)")
        parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
        parser.add_argument(
            "--out",
            metavar="DIR",
            default=str(Path(settings.BASE_DIR) / "var" / "annotated"),
            help="folder for the annotated images (default: var/annotated)",
        )
        parser.add_argument(
            "--detector", choices=sorted(DETECTORS), default=None,
            help=f"face detector (default: {ACCURATE_DETECTOR}, the accurate one)",
        )

    def handle(self, *args, **options):
        from inference import EMOJI, decode_image, encode_jpeg, render_annotated, startup_notices_hidden
        from inference.errors import InferenceError

        out_dir = Path(options["out"])
        out_dir.mkdir(parents=True, exist_ok=True)
        # Models load up front so the first image's timing is its analysis, not the load.
        try:
            with startup_notices_hidden():
                engine = get_analysis_engine().warm_up(detectors=(options["detector"],) if options["detector"] else ())
        except InferenceError as error:
            raise CommandError(str(error)) from error
        reports, failures = [], 0
        for raw_path in options["paths"]:
            path = Path(raw_path)
            try:
                image = decode_image(
                    _read_file(path),
                    max_bytes=settings.FER_MAX_UPLOAD_BYTES,
                    max_pixels=settings.FER_MAX_IMAGE_PIXELS,
                )
                analysis = engine.analyze(image, detector=options["detector"])
            except (OSError, InferenceError) as error:
                failures += 1
                reports.append({"path": str(path), "error": str(error)})
                self.stderr.write(f"{path}: {error}")
                continue
            annotated_path = out_dir / f"{path.stem}_annotated.jpg"
            annotated_path.write_bytes(encode_jpeg(render_annotated(image, analysis)))
            report = {"path": str(path), **analysis.to_dict(), "annotated_image": str(annotated_path)}
            reports.append(report)
            if not options["json"]:
                self._print_text(report, EMOJI)

        if options["json"]:
            self.stdout.write(json.dumps(reports, indent=2, ensure_ascii=False))
        if failures:
            raise CommandError(f"{failures} of {len(options['paths'])} image(s) could not be analysed.")

    def _print_text(self, report: dict, emoji: dict) -> None:
        faces = report["faces"]
        total_ms = report["timings_ms"].get("total")
        timing = f", {total_ms:.0f} ms" if isinstance(total_ms, (int, float)) else ""
        self.stdout.write(
            f"{report['path']}: {len(faces)} face(s) "
            f"({report['width']}x{report['height']}, {report['detector']}{timing})"
        )
        for number, face in enumerate(faces, start=1):
            x, y, w, h = face["box"]
            self.stdout.write(
                f"  face {number}: {emoji.get(face['label'], '')} {face['label']} {100 * face['confidence']:.1f}%"
                f"  box x={x} y={y} w={w} h={h}"
            )
            self.stdout.write(
                "    " + "  ".join(f"{name} {100 * value:.1f}%" for name, value in face["probabilities"].items())
            )
        self.stdout.write(f"  annotated image: {report['annotated_image']}")
