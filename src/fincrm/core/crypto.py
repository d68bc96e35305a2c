"""Field encryption for PII at rest.

National ID numbers are encrypted with AES-SIV (RFC 5297) from `cryptography`. SIV is
deterministic: the same number under the same key gives the same ciphertext. We choose that on
purpose: an exact lookup by ID number works without decrypting the table, and the demo generator
stays byte-for-byte reproducible. The cost, equal plaintexts are visible as equal ciphertexts, is
acceptable for a value that is unique per person anyway.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV


class FieldCipher:
    """Encrypts and decrypts one kind of field; ``purpose`` binds a ciphertext to that field.

    ``alternate`` is a second key accepted when decrypting, so that reads go on while a key
    rotation moves rows from one key to the other; encryption always uses ``key``.
    """

    def __init__(self, key: bytes, purpose: str, *, alternate: bytes | None = None):
        if len(key) != 64 or (alternate is not None and len(alternate) != 64):
            raise ValueError("AES-SIV-256 needs a 64-byte key")
        self._siv = AESSIV(key)
        self._alternate = AESSIV(alternate) if alternate is not None else None
        self._ad = [purpose.encode()]

    def encrypt(self, plaintext: str) -> bytes:
        return self._siv.encrypt(plaintext.encode("utf-8"), self._ad)

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._siv.decrypt(ciphertext, self._ad).decode("utf-8")
        except InvalidTag as exc:
            if self._alternate is not None:
                try:
                    return self._alternate.decrypt(ciphertext, self._ad).decode("utf-8")
                except InvalidTag:
                    pass
            raise ValueError("ciphertext does not match this key or field") from exc
