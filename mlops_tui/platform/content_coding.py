"""What a request's ``Content-Encoding`` asks of its receiver (RFC 9110 §8.4).

The header lists the codings applied to the body, in the order applied, over one or several
header lines (§5.3: lines of one field are one comma-separated list). ``identity`` changes
nothing. A compression the receiver does not decode must be refused (415), or its bytes would be
read as JSON. Some clients send ``Content-Encoding: UTF-8`` meaning the charset, which is not a
content coding at all: the body is plain text, and both servers (the platform's API and a
deployment's prediction server) read it as such, as Starlette and most servers do. Any other
token is not a coding either server knows: 415 as well. One rule for both, here.
"""

from __future__ import annotations

import codecs


class Unsupported(ValueError):
    """A coding the receiver does not decode; ``coding`` is the token as sent."""

    def __init__(self, coding: str) -> None:
        super().__init__(coding)
        self.coding = coding


def codings(headers: list[tuple[bytes, bytes]]) -> list[str]:
    """The codings applied to the body, in the order applied (lower case), from every
    ``Content-Encoding`` line of ``headers`` (an ASGI scope's); identity and charset names dropped."""
    tokens = [
        token.strip().lower()
        for name, value in headers
        if name == b"content-encoding"
        for token in value.decode("latin-1").split(",")
    ]
    return [t for t in tokens if t and t != "identity" and not _charset(t)]


def check(applied: list[str], decoded: frozenset[str]) -> None:
    """Unsupported for the first coding of ``applied`` that is not in ``decoded``."""
    for coding in applied:
        if coding not in decoded:
            raise Unsupported(coding)


def _charset(token: str) -> bool:
    """Whether ``token`` names a text encoding (``utf-8``, ``latin-1``): a charset sent as a coding
    (Python's codecs registry; its byte transforms, ``zlib`` or ``base64``, are not text encodings)."""
    try:
        return bool(getattr(codecs.lookup(token), "_is_text_encoding", False))
    except LookupError:
        return False
