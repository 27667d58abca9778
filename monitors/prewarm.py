"""Imported by the scoring pool's fork server (monitors.scoring_pool), never by Earful's own code.

Builds, once, what every scoring process needs and would otherwise build for itself: the modules of parsing and
scoring, and the complaint cue matcher. The workers are forked from the server with all of it in place.
"""

from monitors import complaints, scoring_pool  # noqa: F401 - imported for their modules' sake

complaints.warm_up()
