"""How the Alipay sandbox writes and checks Alipay's wire formats: RSA2 signatures, signed JSON, notices.

Written apart from the SDK on purpose (``cryptography`` here, ``pycryptodomex`` there): a helper
shared by both sides would hide a signing bug from both.

* A request is signed over its parameters but ``sign``, sorted by name, joined as ``k=v`` with
  ``&``, values as sent before URL encoding.
* An answer is ``{"<method>_response": {...}, "sign": "..."}``; the signature covers the exact
  characters of the inner object.
* A notice is a form signed like a request, without ``sign`` and ``sign_type``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Final
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tuika.domain.money import Money

BEIJING: Final = timezone(timedelta(hours=8))
_PRICE: Final = re.compile(r"(\d{1,9})(?:\.(\d{1,2}))?")


def new_key() -> rsa.RSAPrivateKey:
    """Return a fresh RSA-2048 key, the size Alipay asks of apps."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    """Return a private key as PKCS#8 PEM, which the SDK and Alipay's key tool both read."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def public_pem(key: rsa.RSAPrivateKey) -> str:
    """Return the public half of a key as SubjectPublicKeyInfo PEM."""
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.decode("ascii")


def load_public(pem: str) -> rsa.RSAPublicKey:
    """Read an RSA public key from PEM."""
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the app's public key is not an RSA key")
    return key


def sign(key: rsa.RSAPrivateKey, text: str) -> str:
    """Return the base64 SHA256withRSA signature of ``text`` (Alipay's RSA2)."""
    return base64.b64encode(key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def verifies(key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    """Return whether ``signature`` is the RSA2 signature of ``text`` under ``key``."""
    try:
        key.verify(
            base64.b64decode(signature, validate=True), text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def signing_string(params: Mapping[str, str], *, leave_out: frozenset[str]) -> str:
    """Return what is signed: the parameters but ``leave_out``, sorted, as ``k=v&k=v``."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in leave_out)


def signed_answer(response_key: str, fields: Mapping[str, object], key: rsa.RSAPrivateKey | None) -> bytes:
    """Return an answer body; ``key`` None leaves it unsigned, as Alipay does for gateway errors."""
    inner = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    if key is None:
        return f'{{"{response_key}":{inner}}}'.encode()
    return f'{{"{response_key}":{inner},"sign":"{sign(key, inner)}"}}'.encode()


def signed_form(params: Mapping[str, str], key: rsa.RSAPrivateKey) -> bytes:
    """Return a notice body: the form with its ``sign`` over all but ``sign`` and ``sign_type``."""
    signature = sign(key, signing_string(params, leave_out=frozenset({"sign", "sign_type"})))
    return urlencode({**params, "sign": signature}).encode("ascii")


def price(text: object) -> Money | None:
    """Return a price as Alipay takes it (yuan, at most two decimals), or None if it is not one."""
    match = _PRICE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    whole, part = match.groups()
    return Money(int(whole) * 100 + int((part or "").ljust(2, "0")))


def yuan(amount: Money) -> str:
    """Return fen as Alipay writes yuan, ``"12.30"``."""
    return f"{amount.fen // 100}.{amount.fen % 100:02d}" if amount.fen >= 0 else f"-{yuan(-amount)}"


def beijing(at: datetime, *, millis: bool = False) -> str:
    """Return a moment as Alipay writes it, in Beijing time."""
    local = at.astimezone(BEIJING)
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{local.microsecond // 1000:03d}" if millis else text
