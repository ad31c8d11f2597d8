"""Upload limits shared by Django's request parsing and the content checks in services."""

from fer_platform.settings.env import env_int

FER_MAX_UPLOAD_MB = env_int("FER_MAX_UPLOAD_MB", 20)
FER_MAX_UPLOAD_BYTES = FER_MAX_UPLOAD_MB * 1024 * 1024
# Decompression-bomb guard: judged from the image header before pixels are decoded.
FER_MAX_IMAGE_PIXELS = env_int("FER_MAX_IMAGE_PIXELS", 40_000_000)

# Files up to the limit stay in memory (they are read whole to be checked anyway);
# larger ones spill to a temporary file and are rejected by size without being read.
FILE_UPLOAD_MAX_MEMORY_SIZE = FER_MAX_UPLOAD_BYTES
# Non-file request bodies (JSON, form fields) never need more than an image upload.
DATA_UPLOAD_MAX_MEMORY_SIZE = FER_MAX_UPLOAD_BYTES
