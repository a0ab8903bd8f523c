"""A self-contained API reference at /docs, rendered from the OpenAPI document: no CDN, no script."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

_STYLE = """
body{font:15px/1.5 system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:960px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dce3}
.op{background:#fff;border:1px solid #d8dce3;border-radius:6px;margin:10px 0;padding:10px 14px}
.m{display:inline-block;min-width:56px;font-weight:700;font-family:monospace;color:#fff;border-radius:4px;
   padding:1px 6px;margin-right:8px;text-align:center}
.get{background:#1f6f43}.post{background:#1d4f91}.put{background:#7a4b00}.delete{background:#9b1c1c}
code{font-family:ui-monospace,monospace;font-size:14px} p{margin:6px 0} small{color:#4a5262}
details summary{cursor:pointer;color:#1d4f91} pre{white-space:pre-wrap;background:#f0f2f5;padding:8px;border-radius:4px}
"""


def install(app: FastAPI) -> None:
    """Serve /docs as plain HTML built from ``app.openapi()``."""

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return HTMLResponse(render(app.openapi()))


def render(spec: dict[str, Any]) -> str:
    """Return the reference page for an OpenAPI document."""
    info = spec.get("info", {})
    groups: dict[str, list[str]] = {}
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            tag = (op.get("tags") or ["general"])[0]
            groups.setdefault(tag, []).append(_operation(path, method, op))
    sections = "".join(f"<h2>{escape(tag)}</h2>{''.join(ops)}" for tag, ops in groups.items())
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(info.get('title', 'API'))}</title><style>{_STYLE}</style></head><body><main>"
        f"<h1>{escape(info.get('title', 'API'))} <small>{escape(info.get('version', ''))}</small></h1>"
        f"<p>{escape(info.get('description', ''))}</p>"
        f'<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. '
        f"Every call but <code>/healthz</code> needs <code>Authorization: Bearer &lt;token&gt;</code>.</p>"
        f"{sections}</main></body></html>"
    )


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    params = ", ".join(
        f"<code>{escape(p['name'])}</code> ({escape(p.get('in', ''))}{', required' if p.get('required') else ''})"
        for p in op.get("parameters", [])
    )
    body = op.get("requestBody", {}).get("content", {})
    body_types = ", ".join(
        f"<code>{escape(_schema_name(c.get('schema', {})))}</code> as {escape(t)}" for t, c in body.items()
    )
    answers = ", ".join(f"<code>{escape(code)}</code>" for code in op.get("responses", {}))
    return (
        f'<div class="op"><span class="m {escape(method)}">{escape(method.upper())}</span><code>{escape(path)}</code>'
        f"<p><b>{escape(op.get('summary', ''))}</b> {escape(op.get('description', ''))}</p>"
        f"{f'<p><small>parameters: {params}</small></p>' if params else ''}"
        f"{f'<p><small>body: {body_types}</small></p>' if body_types else ''}"
        f"<p><small>responses: {answers}</small></p></div>"
    )


def _schema_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else str(schema.get("type", "object"))
