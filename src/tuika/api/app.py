"""The FastAPI application: API v1 (and, later, the pages) on one app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from tuika import __version__
from tuika.api import errors
from tuika.api.routes import cases, misc, orders
from tuika.bootstrap import System
from tuika.jobs.queue import embedded_consumer

log = logging.getLogger(__name__)


def create_app(system: System, *, embedded_worker: bool = False) -> FastAPI:
    """Return the app for a wired system; with ``embedded_worker`` it also runs the queue's consumer."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        consumer = None
        if embedded_worker and system.huey is not None:
            consumer = embedded_consumer(system.huey, system.settings.worker_threads)
            consumer.start()
            log.info("embedded worker started with %d threads", system.settings.worker_threads)
        try:
            yield
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)

    app = FastAPI(
        title="tuika 退卡 API",
        version=__version__,
        description="Refund and after-sales engine for 卡盟 platforms. Errors are application/problem+json.",
        lifespan=lifespan,
    )
    app.state.system = system
    errors.install(app)
    limit = system.settings.evidence_max_bytes + 64 * 1024

    @app.middleware("http")
    async def refuse_huge_bodies(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return errors.problem(
                413, "body_too_large", "The request body is too large", "请求体过大", f"at most {limit} bytes"
            )
        return await call_next(request)

    app.include_router(misc.router)
    app.include_router(orders.router)
    app.include_router(cases.router)
    return app
