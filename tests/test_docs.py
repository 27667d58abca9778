"""The README is the manual: a setting, source kind or command it does not document fails the suite."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from monitors.config import Config
from monitors.ingest.sources.registry import SOURCE_KINDS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def setting_names(model: type[BaseModel], prefix: str = "") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        inner = field.annotation
        args = getattr(inner, "__args__", ())
        nested = next((a for a in (inner, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if nested is not None:
            names.extend(setting_names(nested, f"{prefix}{name}."))
        else:
            names.append(prefix + name)
    return names


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_every_setting_is_documented():
    documented = section("Configuration")
    missing = [name for name in setting_names(Config) if f"`{name}`" not in documented]
    assert not missing, f"settings missing from the README's Configuration section: {missing}"


def test_every_environment_variable_is_documented():
    documented = section("Configuration")
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "DATABASE_URL",
                 "EARFUL_CONFIG"):
        assert f"`{name}`" in documented, name


def test_every_source_kind_has_a_row():
    documented = section("Sources")
    for kind in SOURCE_KINDS:
        assert f"| `{kind}` |" in documented, kind


def test_every_command_is_documented():
    from bot.cli import _register_commands, app

    _register_commands()
    documented = section("Commands")
    for command in app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        assert f"earful {name}" in documented, name
