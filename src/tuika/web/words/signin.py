"""Words of signing in and out: refused links, and the question before switching accounts."""

from __future__ import annotations

from typing import Final

WORDS: Final[dict[str, tuple[str, str]]] = {
    "sign_in_failed": (
        "登录链接无效或已过期，请从平台重新进入。",
        "The sign-in link is invalid or has expired; open it again from the platform.",
    ),
    "sign_in.sign_in_refused": (
        "这个登录链接不能用来登录，请从平台重新进入。",
        "This sign-in link cannot sign you in; open the refund centre again from the platform.",
    ),
    "sign_in.sign_in_link_used": (
        "这个登录链接已经用过了：每个链接只能登录一次。请从平台重新进入。",
        "This sign-in link has been used already: each link signs in once. "
        "Open the refund centre again from the platform.",
    ),
    "sign_in.sign_in_link_without_id": (
        "这个登录链接不是一次性链接，不能用来登录。请从平台重新进入。",
        "This sign-in link is not a single-use link, so it cannot sign you in. "
        "Open the refund centre again from the platform.",
    ),
    "sign_in.sign_in_link_too_long": (
        "这个登录链接的有效期超过 {limit}，出于安全考虑不能用来登录。请从平台重新进入。",
        "This sign-in link is valid for more than {limit}, too long to be safe, so it cannot sign you in. "
        "Open the refund centre again from the platform.",
    ),
    "sign_in.minutes": ("{n} 分钟", "{n} minutes"),
    "sign_in.seconds": ("{n} 秒", "{n} seconds"),
    "switch.title": ("切换账号", "Switch account"),
    "switch.question": (
        "你已以{current}身份登录，是否切换为{wanted}？",
        "You are signed in as {current}. Switch to {wanted}?",
    ),
    "switch.who": ("{role}「{id}」", "{role} “{id}”"),
    "switch.warning": (
        "这个登录链接属于另一个账号。如果不是你本人刚从平台打开的，请留在当前账号：切换后，你提交的退卡申请和上传的凭证都会记在另一个账号名下。",
        "This sign-in link is for another account. Unless you opened it from the platform yourself just now, stay "
        "where you are: after switching, the claims you file and the files you upload go to the other account.",
    ),
    "switch.confirm": ("退出当前账号并切换", "Sign out and switch"),
    "switch.stay": ("留在当前账号", "Stay signed in as I am"),
    "switch.role.buyer": ("买家", "buyer"),
    "switch.role.agent": ("客服", "agent"),
    "switch.role.arbitrator": ("仲裁员", "arbitrator"),
    "switch.role.admin": ("管理员", "admin"),
    "switch.role.merchant": ("商家", "merchant"),
}
