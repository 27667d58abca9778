"""Imported by the scoring pool's fork server (monitors.ingest.pool), never by Earful's own code.

Builds, once, what every scoring process needs and would otherwise build for itself: the modules of parsing and
scoring, and the complaint cue matcher. The workers are forked from the server with all of it in place.
"""

import monitors.ingest.pool  # noqa: F401 - imported for its module's sake
from monitors.scoring import complaints

complaints.warm_up()
