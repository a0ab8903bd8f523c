"""API v1: its routers, the problems its OpenAPI document promises, and the /docs page."""

from __future__ import annotations

from fastapi import FastAPI

from tuika.api import contract, docs_page
from tuika.api.routes import (
    balances,
    cases,
    events,
    feed,
    inbox,
    misc,
    orders,
    payouts,
    preferences,
    stock,
    webhooks,
)


def install(app: FastAPI) -> None:
    """Mount API v1 on ``app``, with /openapi.json naming every operation's problems and /docs rendering it."""
    contract.install(app)
    docs_page.install(app)
    for part in (misc, balances, orders, cases, stock, payouts, events, feed, inbox, preferences, webhooks):
        app.include_router(part.router)
