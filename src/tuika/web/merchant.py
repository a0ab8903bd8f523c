"""The merchant's pages: the claims on its goods with its refund figures, one claim, and its answer."""

from __future__ import annotations

from fastapi import APIRouter

from tuika.web import merchant_act, merchant_case, merchant_queue

router = APIRouter(include_in_schema=False)
for part in (merchant_queue, merchant_case, merchant_act):
    router.include_router(part.router)
