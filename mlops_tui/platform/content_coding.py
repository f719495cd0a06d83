"""Which ``Content-Encoding`` values of a request transform its body (RFC 9110 §8.4.1).

A compression the receiver does not decode must be refused (415), or its bytes would be read as
JSON. Some clients send ``Content-Encoding: UTF-8`` meaning the charset, which is not a content
coding at all: the body is plain text, and both servers (the platform's API and a deployment's
prediction server) read it as such, as Starlette and most servers do. One rule for both, here.
"""

from __future__ import annotations

import re

#: The content codings of IANA's HTTP Content Coding Registry that transform the body (``identity``
#: does not), with the ``x-`` forms of RFC 9110 §8.4.1.3
_COMPRESSED = re.compile(rb"\b(x-)?(gzip|deflate|br|compress|zstd|pack200-gzip|exi|aes128gcm|dcb|dcz)\b")


def transforms(encoding: bytes) -> bool:
    """Whether a ``Content-Encoding`` header value (lower-case bytes) names a coding that changes
    the body's bytes; False for ``identity``, an empty value and a charset sent there."""
    return bool(_COMPRESSED.search(encoding))
