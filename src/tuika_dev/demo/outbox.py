"""In the demo, what the SMS, push and email sandboxes received: the three channels of a refund, seen at once.

The sandboxes run in the demo's process; this page (and its JSON, which ``tuika sandbox
messages`` prints) lists what each provider took, newest first, as a buyer's phone and mailbox
would have shown it. The demo's buyers get a number, a mailbox and a phone registered for push
when the demo starts, so a claim refunded lights all three up.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any, Final

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from tuika.domain.cases import Role
from tuika.domain.clock import SHANGHAI
from tuika.services.context import Actor, Context
from tuika.services.notify import preferences
from tuika_dev.sandbox.channels import Channels

PAGE: Final = "/demo/outbox"


def phone_of(n: int) -> str:
    """Return the demo number of the n-th demo buyer (the 13800138xxx test range)."""
    return f"13800138{n:03d}"


def seed_contacts(ctx: Context, channels: Channels, buyers: tuple[str, ...], merchants: tuple[str, ...]) -> None:
    """Give the demo's buyers a number, a mailbox and a phone for push, its shops a mailbox, where none is set."""
    for n, buyer in enumerate(buyers):
        actor = Actor(buyer, Role.BUYER)
        found = preferences.read(ctx, actor).preferences
        changes: dict[str, Any] = {}
        if found.phone_sealed is None:
            changes["phone"] = phone_of(n)
        if found.email_sealed is None:
            changes["email"] = f"{buyer.removeprefix('buyer_')}@buyers.demo.example"
        if changes:
            preferences.update(ctx, actor, **changes)
        token = f"demo{n:02d}{buyer.removeprefix('buyer_')}"
        # JPush knows a phone once its app registered; the sandbox starts empty each run.
        channels.push.register(token)
        preferences.register_device(ctx, actor, token, "android")
    for merchant in merchants:
        actor = Actor(merchant, Role.MERCHANT)
        if preferences.read(ctx, actor).preferences.email_sealed is None:
            preferences.update(ctx, actor, email=f"{merchant}@shops.demo.example")


def received(channels: Channels) -> list[dict[str, Any]]:
    """Return what the three sandboxes took, newest first."""
    found: list[dict[str, Any]] = [
        {"channel": "sms", "at": m.received_at, "to": m.phone, "title": "", "text": m.text}
        for m in channels.sms.messages
    ]
    found += [
        {"channel": "push", "at": p.received_at, "to": p.registration_id, "title": p.title or "", "text": p.alert}
        for p in channels.push.pushes
    ]
    found += [
        {"channel": "email", "at": m.received_at, "to": ", ".join(m.rcpt_to), "title": m.subject, "text": m.text or ""}
        for m in channels.smtp.messages
    ]
    return sorted(found, key=lambda m: m["at"], reverse=True)


def install(app: FastAPI, channels: Channels) -> None:
    """Serve the outbox page and its JSON."""
    router = APIRouter(include_in_schema=False)

    @router.get(PAGE + ".json")
    def outbox_json() -> JSONResponse:
        items = [{**m, "at": m["at"].isoformat()} for m in received(channels)]
        return JSONResponse({"items": items})

    @router.get(PAGE, response_class=HTMLResponse)
    def outbox_page() -> HTMLResponse:
        rows = (
            "".join(_row(m) for m in received(channels))
            or '<p class="muted">还没有消息。提交并退款一个申请后再来看。</p>'
        )
        return HTMLResponse(
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>演示：短信、推送、邮件沙箱</title>'
            '<link rel="stylesheet" href="/static/app.css"></head><body><main>'
            "<h1>演示：短信、推送与邮件沙箱收到的消息</h1>"
            '<p class="muted">Demo: what the SMS, push and email sandboxes received, newest first. '
            "这些是演示沙箱代替阿里云短信、极光推送和邮件服务器收下的消息。</p>"
            f"{rows}</main></body></html>"
        )

    app.include_router(router)


_NAMES: Final = {"sms": "短信 SMS", "push": "App 推送 push", "email": "邮件 email"}


def _row(m: dict[str, Any]) -> str:
    at: datetime = m["at"]
    title = f"<strong>{html.escape(m['title'])}</strong><br>" if m["title"] else ""
    text = html.escape(m["text"]).replace("\n", "<br>")
    return (
        f'<section class="card" data-channel="{m["channel"]}"><p class="muted">{_NAMES[m["channel"]]} → '
        f"{html.escape(m['to'])} · {at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}</p><p>{title}{text}</p></section>"
    )
