"""Make the stored brands and sources match the configuration."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from monitors.config import Config
from storage.db import CONFIG_LOCK_KEY, serialized_scope
from storage.sources import BrandSpec, SourceSpec, sync_brands, sync_sources


def apply_config(engine: sa.Engine, config: Config, *, now: datetime) -> dict[str, int]:
    """Sync brands and sources; returns brand name -> id. Workers starting together sync one at a time:
    each would otherwise add the brands the others are adding, and all but one would crash."""
    with serialized_scope(engine, CONFIG_LOCK_KEY, "config") as session:
        brand_ids = sync_brands(session=session, specs=[
            BrandSpec(b.name, b.query, list(b.exclude), {k: list(v) for k, v in b.handles.items()}, b.competitor)
            for b in config.brands
        ])
        sync_sources(session=session, now=now, specs=[
            SourceSpec(s.name, s.kind, s.url, dict(s.params), config.brand_names_for(s), s.interval, s.enabled)
            for s in config.sources
        ])
    return brand_ids
