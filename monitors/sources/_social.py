"""Former home of the social sources' helpers, now monitors.sources._api.

Kept only because monitors/replies/ and monitors/reply_watch.py still import these names from here; once they
import monitors.sources._api, delete this file.
"""

from monitors.sources._api import (  # noqa: F401 (re-exported)
    ShapeError, answer_of, epoch_time, get_json, iso_time, maybe, need, secret,
)
