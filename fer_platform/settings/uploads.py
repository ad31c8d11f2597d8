"""Upload limits shared by Django's request parsing and the content checks in services."""

from fer_platform.settings.env import env_int, env_pixels, env_str

FER_MAX_UPLOAD_MB = env_int("FER_MAX_UPLOAD_MB", 20)
FER_MAX_UPLOAD_BYTES = FER_MAX_UPLOAD_MB * 1024 * 1024
# Decompression-bomb guard: judged from the image header before pixels are decoded.
FER_MAX_IMAGE_PIXELS = env_pixels("FER_MAX_IMAGE_PIXELS", 40_000_000)

# Videos: judged by size before they are read, then by the container's own header.
FER_MAX_VIDEO_MB = env_int("FER_MAX_VIDEO_MB", 500)
FER_MAX_VIDEO_BYTES = FER_MAX_VIDEO_MB * 1024 * 1024
FER_MAX_VIDEO_SECONDS = env_int("FER_MAX_VIDEO_SECONDS", 600)
# Frames larger than this (width x height, after rotation) are refused; smaller ones
# above the detection size are processed downscaled.
FER_MAX_VIDEO_PIXELS = env_pixels("FER_MAX_VIDEO_PIXELS", 3840 * 2160)
# Where a worker writes a video's outputs until the whole video succeeded (as large as the upload
# and its annotated copy); None: the system's temporary folder, which may be a small tmpfs.
FER_VIDEO_WORK_DIR = env_str("FER_VIDEO_WORK_DIR") or None

# Batches: files chosen at once, or the entries of one .zip.
FER_MAX_BATCH_FILES = env_int("FER_MAX_BATCH_FILES", 50)
# Django refuses a request with more file parts than this before any view runs, with a bare
# 400; kept well above the batch limit so that the upload form, which names the limit,
# is what answers a person who chose too many files.
DATA_UPLOAD_MAX_NUMBER_FILES = max(100, FER_MAX_BATCH_FILES * 20)
# The uncompressed total a .zip may expand to (its entries also meet the per-file limits).
FER_MAX_ZIP_MB = env_int("FER_MAX_ZIP_MB", 1024)
FER_MAX_ZIP_BYTES = FER_MAX_ZIP_MB * 1024 * 1024

# Files up to the image limit stay in memory (they are read whole to be checked anyway);
# larger ones (videos, archives) spill to a temporary file and are streamed from there.
FILE_UPLOAD_MAX_MEMORY_SIZE = FER_MAX_UPLOAD_BYTES
# Non-file request bodies (JSON, form fields) never need more than an image upload.
DATA_UPLOAD_MAX_MEMORY_SIZE = FER_MAX_UPLOAD_BYTES
