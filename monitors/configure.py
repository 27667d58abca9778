"""Reading the configuration into a Config that every part has checked.

The schema (`monitors.config`) knows the shape of the file; whether a query compiles, a source kind exists and
accepts its params, or a brand's accounts name platforms whose replies are read, only those parts know. This
module hands their checks to the schema, so the schema imports none of them and they may import the schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitors.cases.replies import check_handles
from monitors.config import Checks, Config, SourceConfig, read_toml, resolve_local_paths, validate_config
from monitors.ingest.query import check_query
from monitors.ingest.sources.registry import check_source

CHECKS = Checks(query=check_query, handles=check_handles, source=check_source)


def parse_config(data: dict[str, Any], path: str = "<config>") -> Config:
    return validate_config(data, path, CHECKS)


def load_config(path: str | Path) -> Config:
    path = Path(path)
    return resolve_local_paths(parse_config(read_toml(path), str(path)), path.parent)


def source_config(**fields: Any) -> SourceConfig:
    """One checked [[sources]] entry (raises pydantic's ValidationError), for code that builds sources itself."""
    return SourceConfig.model_validate(fields, context={"checks": CHECKS})
