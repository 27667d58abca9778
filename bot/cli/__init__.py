"""The `earful` command line. Each command lives in its own module and registers on `app`."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="earful",
    help="Self-hosted brand monitoring for Slack: find public complaints and make sure someone answers them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    # imported for their side effect: each module adds its commands to `app`
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


def main() -> None:
    _register_commands()
    app()
