"""The settings a command line starts with, refused with a clear message when unsafe or invalid."""

from __future__ import annotations

import typer

from tuika.settings import InsecureSettings, Settings


def load_settings(demo: bool = False) -> Settings:
    """Return the settings from the environment, or exit 2 saying what is wrong."""
    try:
        settings = Settings(demo=True) if demo else Settings()
        settings.check_safe_to_start()
    except InsecureSettings as exc:
        typer.echo(f"refusing to start: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ValueError as exc:
        typer.echo(f"invalid settings: {exc}", err=True)
        raise typer.Exit(2) from exc
    return settings
