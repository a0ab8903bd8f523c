"""Encryption of card secrets (卡密) at rest, with key rotation.

A ciphertext names the key that sealed it, so keys can rotate without a bulk
re-encryption: new secrets use the active key, old ones still open with theirs.

>>> cipher = CardKeyCipher({"k1": bytes(32)}, active="k1")
>>> token = cipher.encrypt("CARD-0001", aad="oi_1")
>>> token.startswith("v1:k1:")
True
>>> cipher.decrypt(token, aad="oi_1")
'CARD-0001'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tuika.domain.errors import CipherKeyUnknown, CipherTokenInvalid

VERSION: Final = "v1"
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _b64decode(text: str) -> bytes:
    # validate=True: a stray character is tampering, not something to skip silently.
    return base64.b64decode(text, altchars=b"-_", validate=True)


class CardKeyCipher:
    """Seal and open card secrets with AES-256-GCM, bound to a record by ``aad``."""

    __slots__ = ("_active", "_aeads", "_macs")

    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        for key_id, key in keys.items():
            if not key_id or ":" in key_id:
                raise ValueError(f"key id {key_id!r} must be non-empty and without ':'")
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be {KEY_BYTES} bytes")
        if active not in keys:
            raise ValueError(f"active key {active!r} is not among the keys")
        self._aeads = {key_id: AESGCM(key) for key_id, key in keys.items()}
        # A separate MAC key per AES key, derived so one key never serves two algorithms.
        self._macs = {k: hmac.new(key, b"tuika card lookup v1", hashlib.sha256).digest() for k, key in keys.items()}
        self._active = active

    def __repr__(self) -> str:
        # Never show key material, only which ids are loaded.
        return f"CardKeyCipher(key_ids={sorted(self._aeads)!r}, active={self._active!r})"

    @property
    def active_key_id(self) -> str:
        """Return the id of the key new ciphertexts are sealed with."""
        return self._active

    def encrypt(self, plain: str, aad: str) -> str:
        """Seal ``plain`` with the active key; ``aad`` must be given again to decrypt."""
        # A random 96-bit nonce per message; safe far beyond any card volume per key.
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self._active].encrypt(nonce, plain.encode(), aad.encode())
        return f"{VERSION}:{self._active}:{_b64encode(nonce)}:{_b64encode(sealed)}"

    def digest(self, plain: str) -> str:
        """Return a keyed digest of ``plain`` under the active key, to find a record by its secret."""
        return self._digest(self._active, plain)

    def digests(self, plain: str) -> tuple[str, ...]:
        """Return ``plain``'s digest under every loaded key, so lookups survive a key rotation."""
        return tuple(self._digest(key_id, plain) for key_id in sorted(self._macs))

    def _digest(self, key_id: str, plain: str) -> str:
        mac = hmac.new(self._macs[key_id], plain.encode(), hashlib.sha256).hexdigest()
        return f"{key_id}:{mac}"

    def decrypt(self, token: str, aad: str) -> str:
        """Open a ciphertext from ``encrypt`` with the key it names."""
        parts = token.split(":")
        if len(parts) != 4 or parts[0] != VERSION:
            raise CipherTokenInvalid("not a v1 card ciphertext")
        _, key_id, nonce_text, sealed_text = parts
        aead = self._aeads.get(key_id)
        if aead is None:
            raise CipherKeyUnknown(f"unknown card key id {key_id!r}")
        try:
            nonce = _b64decode(nonce_text)
            sealed = _b64decode(sealed_text)
        except ValueError as exc:
            raise CipherTokenInvalid("ciphertext is not valid base64") from exc
        if len(nonce) != NONCE_BYTES:
            raise CipherTokenInvalid("nonce has the wrong length")
        try:
            plain = aead.decrypt(nonce, sealed, aad.encode())
        except InvalidTag as exc:
            raise CipherTokenInvalid("authentication failed") from exc
        return plain.decode()
