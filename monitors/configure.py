"""Reading the configuration into a Config that every part has checked.

The schema (`monitors.config`) knows the shape of the file; whether a query compiles, a source kind exists and
accepts its params, or a brand's accounts name platforms whose replies are read, only those parts know. This
module hands their checks to the schema, so the schema imports none of them and they may import the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

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


DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres")


def setup_problems(config: Config, env: Mapping[str, str]) -> list[str]:
    """What a valid file still cannot do in this environment, for `earful check-config`: each a line."""
    problems = []
    if not config.brands:
        problems.append("brands: none configured; add a [[brands]] entry with a name and a query")
    if env.get("SLACK_BOT_TOKEN") and not (env.get("SLACK_APP_TOKEN") or env.get("SLACK_SIGNING_SECRET")):
        problems.append("environment: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
                        "SLACK_SIGNING_SECRET (HTTP mode) is")
    scheme = (env.get("DATABASE_URL") or "sqlite:").split(":", 1)[0].split("+", 1)[0].lower()
    if scheme not in DATABASE_SCHEMES:
        problems.append(f"environment: DATABASE_URL uses {scheme!r}; Earful stores in sqlite:///FILE or "
                        "postgresql://…")
    for i, source in enumerate(config.sources):
        for key, value in sorted(source.params.items()):
            if key.endswith("_env") and isinstance(value, str) and not env.get(value):
                problems.append(f"sources[{i}].params.{key}: the environment variable {value} is not set")
        if source.url.startswith("file:"):
            path = Path(url2pathname(urlsplit(source.url).path))
            if not path.exists():
                problems.append(f"sources[{i}].url: there is no file {path}")
    return problems
