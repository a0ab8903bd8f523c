"""The machinery rather than the claim: a race lost, a body too big, an upstream or a secret out of reach.

``CipherError`` and its kinds are the card-key cipher's own errors and deliberately not part of
the family: a page that shows a ``TuikaError`` as a refusal must not show a broken key store as
one. They reach a caller only as ``CardKeyUnreadable``'s words, the reason going to the log.
"""

from __future__ import annotations

from tuika.domain.errors.base import Conflict, InvalidInput, TuikaError


class DuplicateKey(Conflict):
    """A concurrent transaction stored the same unique key first; the caller retries."""

    code = "duplicate_key"
    title = "A concurrent request got there first; retry"
    title_zh = "并发请求冲突，请重试"


class BodyTooLarge(InvalidInput):
    """The request body is over the size limit (the body-size guard answers it before any route)."""

    code = "body_too_large"
    title = "The request body is too large"
    title_zh = "请求体过大"


class SupplierUnavailable(TuikaError):
    """The supplier could not answer (timeouts, errors, an open circuit); a person decides instead."""

    code = "supplier_unavailable"
    title = "The supplier could not be reached"
    title_zh = "供货商暂时无法查询"


class CardKeyUnreadable(TuikaError):
    """What a caller is told when a stored card key or account cannot be decrypted (a ``CipherError``)."""

    code = "card_key_unreadable"
    title = "A stored card key or account could not be read"
    title_zh = "卡密或充值账号无法解密"


class CipherError(Exception):
    """A card secret could not be decrypted."""

    code = "cipher_error"
    title = "The card secret could not be decrypted"
    title_zh = "卡密无法解密"


class CipherKeyUnknown(CipherError):
    """The ciphertext names a key id that is not configured."""

    code = "cipher_key_unknown"
    title = "The card secret was sealed with a key that is not configured"
    title_zh = "卡密所用的密钥未配置"


class CipherTokenInvalid(CipherError):
    """The ciphertext is malformed, tampered with, or bound to another record."""

    code = "cipher_token_invalid"
    title = "The encrypted card secret is malformed or has been altered"
    title_zh = "加密卡密格式错误或已被篡改"
