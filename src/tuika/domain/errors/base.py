"""The root of the family and its four broad kinds; every other error narrows one of them."""

from __future__ import annotations

from typing import ClassVar


class TuikaError(Exception):
    """Base of every error tuika reports to a caller."""

    code: ClassVar[str] = "tuika_error"
    title: ClassVar[str] = "Request failed"
    title_zh: ClassVar[str] = "请求失败"

    def __init__(self, detail: str = "", **facts: object) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.facts = facts


class NotFound(TuikaError):
    code = "not_found"
    title = "Not found"
    title_zh = "未找到"


class Conflict(TuikaError):
    code = "conflict"
    title = "Conflict with the current state"
    title_zh = "与当前状态冲突"


class InvalidInput(TuikaError):
    code = "invalid_input"
    title = "Invalid input"
    title_zh = "输入无效"


class Forbidden(TuikaError):
    code = "forbidden"
    title = "Not allowed for this role"
    title_zh = "当前角色无权执行此操作"
