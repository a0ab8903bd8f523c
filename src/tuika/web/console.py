"""The agent console: the review queue, a case in full, the decisions, finance's queue and balances, for staff only."""

from __future__ import annotations

from fastapi import APIRouter

from tuika.web import console_act, console_balances, console_case, console_finance, console_queue

router = APIRouter(include_in_schema=False)
for part in (console_queue, console_case, console_act, console_finance, console_balances):
    router.include_router(part.router)
