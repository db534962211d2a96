"""The command line (Typer apps composed in `main`)."""

from kvalitetsloop.cli.main import app, main_exit, run

__all__ = ["app", "main_exit", "run"]
