"""The TOML configuration: brands, sources, Slack channels, complaint/SLA settings, schedules.

Secrets never live here; they come from the environment (see `Secrets`). This is the schema only: the checks
that need a part of Earful (a source kind's params, a query, reply handles) are handed in by
`monitors.configure`, which is what reads a file. Every problem is reported with its place, e.g.
``sources[3].url: not an http(s) URL``.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import time as dtime
from pathlib import Path
from typing import Annotated, Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> int:
    """'90s', '15m', '4h', '1d' or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration (use e.g. 90s, 15m, 4h, 1d)")
        unit = match.group(2).lower() if match.group(2) else None
        seconds = float(match.group(1)) * _UNIT_SECONDS[unit]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return int(seconds)


Duration = Annotated[int, BeforeValidator(parse_duration)]


@dataclass(frozen=True)
class Checks:
    """What only the parts themselves can judge, asked while the file is validated so that every problem is
    reported with its place. Each raises ValueError with a message for the user.

    The parts hand these in (see `monitors.configure`), so this schema imports none of them."""

    query: Callable[[str], None]  # a brand's query compiles
    handles: Callable[[dict[str, list[str]]], None]  # a brand's accounts name platforms whose replies are read
    source: Callable[["SourceConfig"], None]  # the source kind exists and accepts the url and params


def _checks(info: ValidationInfo) -> Checks:
    checks = (info.context or {}).get("checks")
    if not isinstance(checks, Checks):
        raise TypeError("validate a Config through monitors.configure, which hands in the parts' checks")
    return checks


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrandConfig(_Section):
    name: str = Field(min_length=1)
    query: str = Field(min_length=1)
    exclude: list[str] = []
    handles: dict[str, list[str]] = {}
    competitor: bool = False
    sla: Duration | None = None  # this brand's time to answer; default complaints.sla
    threshold: float | None = Field(default=None, ge=0, le=1)  # opens cases; default complaints.threshold

    @field_validator("query")
    @classmethod
    def _query_compiles(cls, value: str, info: ValidationInfo) -> str:
        _checks(info).query(value)
        return value

    @field_validator("handles")
    @classmethod
    def _handles_name_accounts(cls, value: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        # a misspelt platform or a display name would silently match nobody: say so now, rather than never
        # recognise an answer
        _checks(info).handles(value)
        return value


class SourceConfig(_Section):
    name: str = Field(min_length=1)
    kind: str
    url: str = ""
    interval: Duration = 900
    brands: list[str] = []
    enabled: bool = True
    params: dict[str, Any] = {}

    @model_validator(mode="after")
    def _kind_and_params(self, info: ValidationInfo) -> "SourceConfig":
        _checks(info).source(self)  # the source kind checks its own url and params
        return self


class SlackConfig(_Section):
    support_channel: str = "#earful-support"
    escalation_channel: str = "#earful-escalations"
    digest_channel: str = "#earful-digest"
    digest_dms: list[str] = []  # user ids sent the digest directly; "managers" means everyone in `managers`
    managers: list[str] = []
    manager_group: str = ""
    oncall_group: str = ""
    flood_threshold: int = Field(default=5, ge=1)
    messages_per_second: float = Field(default=1.0, gt=0)


class ComplaintConfig(_Section):
    threshold: float = Field(default=0.5, ge=0, le=1)
    sla: Duration = 4 * 3600
    max_age: Duration = 7 * 86400  # older complaints are stored but open no case (a first poll finds old posts)
    # the response clock (see monitors/cases/sla.py)
    sla_high: Duration | None = None  # a shorter SLA for cases with priority >= high_priority
    high_priority: float = Field(default=2.0, ge=0)
    remind_at: float = Field(default=0.75, gt=0, lt=1)  # share of the SLA gone when the claimer is reminded
    early_escalation: float = Field(default=0.5, gt=0, le=1)  # unclaimed high-priority cases escalate here
    escalation_repeat: Duration = 4 * 3600
    reply_check_interval: Duration = 600


class ScheduleConfig(_Section):
    timezone: str = "UTC"
    digest_time: dtime = dtime(9, 0)
    daily_digest: bool = True
    weekly_digest_day: str = ""  # e.g. "monday"; empty: no weekly digest
    outbox_interval: Duration = 5
    sla_sweep_interval: Duration = 60
    spike_check_interval: Duration = 300
    retention_days: int = Field(default=365, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone (e.g. Europe/London)") from None
        return value

    @field_validator("weekly_digest_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        from monitors.digest.period import WEEKDAYS

        if value and value.strip().lower() not in WEEKDAYS:
            raise ValueError(f"{value!r} is not a weekday (monday … sunday), or leave it empty")
        return value.strip().lower()


class FetchConfig(_Section):
    timeout: Duration = 20
    max_bytes: int = Field(default=10_000_000, ge=1024)
    per_host: int = Field(default=2, ge=1)
    max_redirects: int = Field(default=5, ge=0)
    contact: str = ""  # appears in the User-Agent so site owners can reach you
    workers: int = Field(default=8, ge=1)


class IngestConfig(_Section):
    processes: int = Field(default=0, ge=0)  # 0: one per core


class HttpConfig(_Section):
    """The one listener for /slack/events, /ingest and /healthz. Its presence in the file makes Earful listen even
    when nothing else needs inbound HTTP (for /healthz in Socket Mode)."""

    host: str = "127.0.0.1"  # a laptop; 0.0.0.0 behind a reverse proxy or in a container
    port: int | None = Field(default=None, ge=0, le=65535)  # None: PORT, EARFUL_PUSH_PORT, a push source's port, 3000
    threads: int = Field(default=4, ge=1, le=256)
    connection_limit: int = Field(default=1000, ge=10, le=60_000)
    timeout: Duration = 30  # a connection silent this long, or this slow to send one request, is closed

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if not value or any(c.isspace() or c in "/?#@" for c in value):
            raise ValueError(f"{value!r} is not an address to listen on (e.g. 127.0.0.1, 0.0.0.0 or ::)")
        return value


class SpikesConfig(_Section):
    enabled: bool = True
    sensitivity: float = Field(default=3.0, gt=0)  # the least robust σ above normal that makes a burst alert
    min_count: int = Field(default=10, ge=0)  # fewer negative mentions in the window never alert
    cooldown: Duration = 24 * 3600  # no second alert for a brand within this
    settle: Duration = 600  # a bucket is judged this long after it ends, so late-fetched posts count
    history: Duration = 30 * 86400  # stored history the detector relearns from (a half-life of its peak memory)
    calm_buckets: int = Field(default=3, ge=1)  # buckets under the line before "back to normal"
    mute: Duration = 3600  # how long Mute keeps an alert quiet


class Config(_Section):
    brands: list[BrandConfig] = []
    sources: list[SourceConfig] = []
    slack: SlackConfig = SlackConfig()
    complaints: ComplaintConfig = ComplaintConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    fetch: FetchConfig = FetchConfig()
    ingest: IngestConfig = IngestConfig()
    spikes: SpikesConfig = SpikesConfig()
    http: HttpConfig | None = None  # see HttpConfig: None means "only when Slack HTTP mode or a push source needs it"

    @model_validator(mode="after")
    def _cross_references(self) -> "Config":
        problems = []
        for label, items in (("brands", self.brands), ("sources", self.sources)):
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.name in seen:
                    problems.append(f"{label}[{i}].name: {item.name!r} is used twice")
                seen.add(item.name)
        names = {b.name for b in self.brands}
        for i, source in enumerate(self.sources):
            for name in source.brands:
                if name not in names:
                    problems.append(f"sources[{i}].brands: no brand named {name!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def brand_names_for(self, source: SourceConfig) -> list[str]:
        return list(source.brands) or [b.name for b in self.brands]


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists each with its place."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def _place(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("function-"):  # pydantic's label for validators: not a place
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _message(error: dict[str, Any]) -> str:
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    if error["type"] == "extra_forbidden":
        message = "unknown setting (check the spelling; see the README's configuration table)"
    return message


def validate_config(data: dict[str, Any], path: str, checks: Checks) -> Config:
    """The parsed TOML as a Config, or ConfigError listing every problem with its place."""
    try:
        return Config.model_validate(data, context={"checks": checks})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            place = _place(error["loc"])
            message = _message(error)
            # a cross-reference check reports several places in one message
            if place == "(top level)" and ": " in message:
                problems.extend(part.strip() for part in message.split("; "))
            else:
                # a model-level check names its field first ("url: ..."): fold it into the place
                field_first = re.match(r"^([a-z_][a-z_.]*): (.*)$", message, re.DOTALL)
                if field_first and error["type"] == "value_error":
                    place, message = f"{place}.{field_first.group(1)}", field_first.group(2)
                problems.append(f"{place}: {message}")
        raise ConfigError(path, problems) from None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read: {exc.strerror}"]) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(str(path), ["not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None


def resolve_local_paths(config: Config, base: Path) -> Config:
    """file: URLs in a config are relative to the config file, so examples run from any directory."""
    sources = []
    for source in config.sources:
        if source.url.startswith("file:") and not source.url.startswith("file:///"):
            local = (base / source.url[len("file:"):]).resolve()
            source = source.model_copy(update={"url": local.as_uri()})
        sources.append(source)
    return config.model_copy(update={"sources": sources})


@dataclass(frozen=True)
class Secrets:
    """Everything secret comes from the environment, never from the config file."""

    slack_bot_token: str | None
    slack_app_token: str | None
    slack_signing_secret: str | None
    slack_api_url: str | None
    database_url: str

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Secrets":
        from storage.db import DEFAULT_URL

        env = os.environ if env is None else env
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_api_url=env.get("SLACK_API_URL") or None,
            database_url=env.get("DATABASE_URL") or DEFAULT_URL,
        )

    def problems(self) -> list[str]:
        """Placeholder or malformed secrets, said plainly."""
        out = []
        for name, value, prefix in (
            ("SLACK_BOT_TOKEN", self.slack_bot_token, "xoxb-"),
            ("SLACK_APP_TOKEN", self.slack_app_token, "xapp-"),
        ):
            if value and not value.startswith(prefix):
                out.append(f"{name}: expected a token starting with {prefix}")
            if value and value.removeprefix(prefix).lower() in {"", "changeme", "your-token", "xxx"}:
                out.append(f"{name}: is a placeholder; paste the real token")
        return out
