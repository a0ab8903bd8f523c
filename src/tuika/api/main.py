"""App factory for uvicorn import strings (``tuika.api.main:app_from_env``), used with several workers."""

from __future__ import annotations

from fastapi import FastAPI

from tuika.api.app import create_app
from tuika.bootstrap import build
from tuika.settings import Settings


def app_from_env() -> FastAPI:
    """Build the app from TUIKA_* settings; the worker runs as its own process (``tuika worker``)."""
    settings = Settings()
    settings.check_safe_to_start()
    return create_app(build(settings))
