"""Validation issues as a problem lists them: where, what is wrong in English and Chinese, and the stable kind.

>>> issue({"loc": ("body", "amount_fen"), "msg": "Input should be greater than or equal to 1",
...        "type": "greater_than_equal", "ctx": {"ge": 1}})["msg_zh"]
'应大于或等于 1'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# Keyed by pydantic's error type; ``{…}`` takes the error's context. A custom error carries its
# own Chinese text as ``ctx["msg_zh"]``, next to its English, and needs no entry here.
_ZH: Final[Mapping[str, str]] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符合要求",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "enum": "应为以下取值之一：{expected}",
    "literal_error": "应为以下取值之一：{expected}",
}
_ANY: Final = "取值无效"


def issue(error: Mapping[str, Any]) -> dict[str, Any]:
    """Return one pydantic error as the problem's ``errors[]`` entry: ``loc``, ``msg``, ``msg_zh``, ``type``."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    zh = context.get("msg_zh")
    if not isinstance(zh, str):
        try:
            zh = _ZH.get(kind, _ANY).format_map(context)
        except (KeyError, ValueError):
            zh = _ANY
    return {
        "loc": [str(part) for part in error.get("loc", ())],
        "msg": str(error.get("msg", "")),
        "msg_zh": zh,
        "type": kind,
    }
