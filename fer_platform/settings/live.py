"""Live camera over WebSockets: who may use it and how hard one connection may push."""

from fer_platform.settings.env import env_bool, env_int

# Off: anyone who can open the page may use the camera analysis, as with uploads.
FER_LIVE_REQUIRE_LOGIN = env_bool("FER_LIVE_REQUIRE_LOGIN", False)
# Frames per second one connection may send; faster senders are told to slow down.
FER_LIVE_MAX_FPS = env_int("FER_LIVE_MAX_FPS", 30)
# A downscaled 640x480 JPEG is about 50 KB; anything near this limit is a misuse.
FER_LIVE_MAX_FRAME_KB = env_int("FER_LIVE_MAX_FRAME_KB", 1024)
FER_LIVE_MAX_FRAME_BYTES = FER_LIVE_MAX_FRAME_KB * 1024
# Live-camera connections one client address may hold open at once in each web process: every
# connection gets an equal share of the analysis threads, so one client opening many would take
# the others' shares.
FER_LIVE_MAX_CONNECTIONS_PER_ADDRESS = env_int("FER_LIVE_MAX_CONNECTIONS_PER_ADDRESS", 4)
# Threads analysing frames in each web process, shared fairly by all its connections.
FER_LIVE_WORKERS = env_int("FER_LIVE_WORKERS", 2)
# A recording stops by itself after this long, so a forgotten tab cannot grow a timeline forever.
FER_LIVE_MAX_RECORDING_SECONDS = env_int("FER_LIVE_MAX_RECORDING_SECONDS", 3600)
