"""The one FastAPI application: API v1 (``tuika.api``) and the pages (``tuika.web``), mounted side by side."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI

from tuika import __version__
from tuika.api import routes as api
from tuika.bootstrap import System, build
from tuika.domain.policy import EvidenceKind
from tuika.http import errors
from tuika.http.limits import BodyLimit
from tuika.jobs.queue import embedded_consumer
from tuika.settings import Settings
from tuika.web import routes as pages

log = logging.getLogger(__name__)


def create_app(system: System, *, embedded_worker: bool = False) -> FastAPI:
    """Return the app for a wired system; with ``embedded_worker`` it also runs the queue's consumer."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run in AnyIO's thread pool (40 threads by default). On a small
        # machine, requests in flight beyond the cores cost CPU per request in contention
        # (measured in docs/performance.md), so the pool is sized from settings instead.
        to_thread.current_default_thread_limiter().total_tokens = system.settings.api_threads
        consumer = None
        for engine in (system.ctx.quick_ocr, system.ctx.ocr) if embedded_worker else ():
            if engine is not None:
                engine.warm_up()
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
        # The stock Swagger and ReDoc pages load their scripts from a CDN; ours are local.
        docs_url=None,
        redoc_url=None,
    )
    app.state.system = system
    errors.install(app)
    # Uploads get their own, exact limit in the route; this one stops anything far larger.
    # A page's claim form carries at most one file per kind of evidence.
    app.add_middleware(
        BodyLimit,
        limit=system.settings.evidence_max_bytes + 64 * 1024,
        page_limit=system.settings.evidence_max_bytes * len(EvidenceKind) + 64 * 1024,
    )
    api.install(app)
    pages.install(app)
    return app


def app_from_env() -> FastAPI:
    """Build the app from TUIKA_* settings; uvicorn's factory (``tuika.app:app_from_env``) for several workers.

    The worker runs as its own process (``tuika worker``).
    """
    settings = Settings()
    settings.check_safe_to_start()
    return create_app(build(settings))
