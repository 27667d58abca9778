"""Imported by the scoring pool's fork server (monitors.ingest.pool), never by Earful's own code.

Builds, once, what every scoring process needs and would otherwise build for itself: the modules of parsing and
scoring, and the complaint cue matcher. The workers are forked from the server with all of it in place.
"""

import signal

# Ctrl-C reaches the whole process group, and handling it is the parent's job. The fork server ignores SIGINT
# itself, but only after this preload, which takes a second or more: a Ctrl-C meanwhile printed its traceback.
signal.signal(signal.SIGINT, signal.SIG_IGN)

import monitors.ingest.pool  # noqa: E402,F401 - imported for its module's sake
from monitors.scoring import complaints  # noqa: E402

complaints.warm_up()
