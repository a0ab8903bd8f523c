"""The agent console: the review queue, a case in full, and the decisions, for staff only."""

from __future__ import annotations

from fastapi import APIRouter

from tuika.web import console_act, console_case, console_queue

router = APIRouter(include_in_schema=False)
for part in (console_queue, console_case, console_act):
    router.include_router(part.router)
