"""The ``gridcommand`` command line. Each command group lives in its own module and is registered here."""

from __future__ import annotations

import importlib
from typing import Any

import click

from cli.common import fail_clearly
from geo_data.settings import load_settings

# Modules that define a click command or group named ``command``; order is the help order.
COMMAND_MODULES = [
    "cli.db",
    "cli.serve",
    "cli.worker",
    "cli.users",
    "cli.audit",
    "cli.imports",
    "cli.tokens",
    "cli.devices",
    "cli.simulate",
    "cli.demo",
    "cli.kpi",
    "cli.draw",
    "cli.tasks",  # a subcommand of cli.imports' "import" group
    "cli.coverage",  # so is this one
]


class _Commands(click.Group):
    """The command group: whatever a command meets (a product error, a file it cannot write) ends as one clear
    ``error: ...`` line and exit status 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        with fail_clearly():
            return super().invoke(ctx)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """GridCommand: county enforcement command map (县乡执法指挥一张图)."""
    ctx.obj = load_settings()


for _name in COMMAND_MODULES:
    main.add_command(importlib.import_module(_name).command)
