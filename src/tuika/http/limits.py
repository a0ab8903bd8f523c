"""A request-body limit that holds for chunked bodies too, not only a Content-Length."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """Refuse bodies over the limit with 413, counting the bytes as they arrive.

    API calls (``/v1/…``) upload one file each and get ``limit`` and a problem+json answer. A
    page's form may carry a file per kind of evidence at once, so pages get ``page_limit`` and
    an HTML answer a person can read.
    """

    def __init__(self, app: ASGIApp, limit: int, page_limit: int | None = None) -> None:
        self.app = app
        self.api_limit = limit
        self.page_limit = limit if page_limit is None else page_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith("/v1/")
        limit = self.api_limit if api else self.page_limit
        refuse = self._refuse_api if api else self._refuse_page
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await refuse(send, limit)
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        # Without a length the body arrives in chunks; buffer it up to the limit (uploads are
        # bounded to that anyway), refuse as soon as it passes, then hand it on unchanged.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                await refuse(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse_api(self, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "type": "urn:tuika:problem:body_too_large",
                "title": "The request body is too large",
                "title_zh": "请求体过大",
                "status": 413,
                "detail": f"at most {limit} bytes",
                "code": "body_too_large",
            },
            ensure_ascii=False,
        ).encode()
        await _send(send, b"application/problem+json", body)

    async def _refuse_page(self, send: Send, limit: int) -> None:
        megabytes = limit // (1024 * 1024)
        body = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>上传的文件过大 · tuika</title></head>"
            "<body><main><h1>上传的文件过大</h1>"
            f"<p>一次提交的文件合计不能超过 {megabytes} MB，请压缩或分次上传后返回重试。</p>"
            f'<p lang="en">The files sent at once exceed {megabytes} MB; make them smaller or send them one at a time, '
            "then go back and try again.</p></main></body></html>"
        ).encode()
        await _send(send, b"text/html; charset=utf-8", body)


async def _send(send: Send, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
