"""Command-line commands for this part of the product, registered on the main app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this part's commands to the `kvalitetsloop` app."""
