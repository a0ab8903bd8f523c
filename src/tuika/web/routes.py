"""All the pages on one router, and what the app needs to serve them."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from tuika.web import (
    balance,
    case,
    claim,
    console,
    console_messages,
    merchant,
    messages,
    notify_settings,
    pages,
    session,
    signin,
)


def install(app: FastAPI) -> None:
    """Mount the buyer portal, the agent console, the merchant's pages and their static files on ``app``."""
    router = APIRouter(include_in_schema=False)
    parts = (signin, pages, claim, case, balance, notify_settings, messages, console, console_messages, merchant)
    for part in parts:
        router.include_router(part.router)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(files("tuika.web").joinpath("static"))), name="static")
    session.install(app)
