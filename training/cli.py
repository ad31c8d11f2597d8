"""What the command lines of the steps after training (`python -m training.<step>`) share."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

DEFAULT_CACHE_DIR = "training_runs/cache"


def step_parser(module: str, description: str, data_help: str) -> argparse.ArgumentParser:
    """A parser for `python -m training.<module>` with --data and --cache-dir."""
    parser = argparse.ArgumentParser(prog=f"python -m training.{module}", description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, type=Path, help=data_help)
    parser.add_argument("--cache-dir", default=DEFAULT_CACHE_DIR, help="decoded faces kept as .npz ('' for none)")
    return parser


def parse_step_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The parsed arguments, --cache-dir as a Path or None; log lines on, TensorFlow's chatter off."""
    args = parser.parse_args(argv)
    args.cache_dir = Path(args.cache_dir) if args.cache_dir else None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from training import backend

    backend.start_tensorflow_if_chosen(os.environ.get("KERAS_BACKEND", "tensorflow"))
    return args
