"""Who may come in: bearer tokens for the API, sign-in links for the pages."""

from __future__ import annotations

from tuika.domain.errors.base import TuikaError


class TokenRejected(TuikaError):
    """A bearer token was refused."""

    code = "token_rejected"
    title = "The access token was rejected"
    title_zh = "访问令牌被拒绝"


class TokenInvalid(TokenRejected):
    """The token is malformed, forged, or carries unusable claims."""

    code = "token_invalid"
    title = "The access token is invalid"
    title_zh = "访问令牌无效"


class TokenExpired(TokenRejected):
    """The token was genuine but its lifetime has ended."""

    code = "token_expired"
    title = "The access token has expired"
    title_zh = "访问令牌已过期"


class TokenMissing(TokenRejected):
    """The request carries no ``Authorization: Bearer`` header."""

    code = "token_missing"
    title = "An Authorization: Bearer token is required"
    title_zh = "缺少访问令牌（Authorization: Bearer）"


class SignInRefused(TuikaError):
    """A sign-in link was genuine but may not open a session."""

    code = "sign_in_refused"
    title = "This sign-in link cannot sign you in"
    title_zh = "该登录链接不能用于登录"


class LinkNotSingleUse(SignInRefused):
    code = "sign_in_link_without_id"
    title = "The sign-in link has no id, so it could be used again and again"
    title_zh = "登录链接没有编号，无法保证只用一次"


class LinkTooLong(SignInRefused):
    code = "sign_in_link_too_long"
    title = "The sign-in link is valid for longer than allowed"
    title_zh = "登录链接的有效期超过允许的时长"


class LinkUsed(SignInRefused):
    code = "sign_in_link_used"
    title = "The sign-in link was used already"
    title_zh = "登录链接已经用过"
