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


def _show_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"earful {version('earful')}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            print("earful (not installed; run `pip install -e .`)")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                 help="Print Earful's version and exit."),
) -> None:
    """Self-hosted brand monitoring for Slack: find public complaints and make sure someone answers them."""


def _register_commands() -> None:
    # imported for their side effect: each module adds its commands to `app`
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


def _no_flag_placeholders(command) -> None:
    """A flag takes no value, so its help shows no `<bool>` type beside it (typer shows the type otherwise)."""
    for param in getattr(command, "params", []):
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _no_flag_placeholders(sub)
    made = command.get_help_option  # --help is made per call, not kept in params

    def help_option(ctx):
        option = made(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option


def main() -> None:
    """Run the command; a mistake in how it was called is one line and exit 2, like every other failure."""
    import sys

    _register_commands()
    command = typer.main.get_command(app)
    _no_flag_placeholders(command)
    try:
        code = command.main(prog_name="earful", standalone_mode=False)
    except Exception as exc:  # noqa: BLE001 - only the command line's own usage errors are handled here
        if getattr(exc, "exit_code", None) != 2 or not hasattr(exc, "format_message"):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # plain `earful`: the help, as asked
            print(exc.format_message(), file=sys.stderr)
            sys.exit(2)
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        print(f"error: {exc.format_message()}{hint}", file=sys.stderr)
        sys.exit(2)
    except BaseException as exc:
        if type(exc).__name__ == "Abort":  # Ctrl-C outside a command's own handling
            sys.exit(130)
        raise
    sys.exit(code if isinstance(code, int) else 0)
