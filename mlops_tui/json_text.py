"""What the bytes of a request are when they are not UTF-8 JSON text, to say so instead of "not
valid JSON: str is not valid UTF-8".

RFC 8259 §8.1: JSON is exchanged as UTF-8, and a parser MAY ignore a UTF-8 byte order mark
(`BOM`). What clients send instead: UTF-16 or UTF-32 (PowerShell 5's ``>`` writes UTF-16),
a gzip or zlib body without its ``Content-Encoding`` header, Latin-1 or Windows-1252 text.
"""

from __future__ import annotations

import zlib

BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark
# byte order marks, longest first (UTF-32LE's begins with UTF-16LE's); RFC 8259 §8.1, Unicode §23.8
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16 (little-endian)", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16 (big-endian)", "UTF-16BE"),
)


def not_json_text(data: bytes | str, *, decompresses: bool = True) -> str | None:
    """What ``data`` is when it is not UTF-8 text at all, as the end of a sentence ("is UTF-16
    (little-endian) text, …"), or None. Without a byte order mark, UTF-16 and UTF-32 are told by
    where the zero bytes of the first (ASCII) characters fall (RFC 4627 §3); gzip by its magic
    number (RFC 1952 §2.3.1), zlib (deflate) by its header check (RFC 1950 §2.2). A compressed
    body is told to come with its Content-Encoding, or, when the reader ``decompresses`` nothing
    (the platform's API, a file given to the CLI), uncompressed."""
    if isinstance(data, str):
        return None
    head = bytes(data[:4])
    encoding = next(((name, codec) for bom, name, codec in _BOMS if head.startswith(bom)), None)
    if encoding is None and len(head) == 4:
        zeros = tuple(b == 0 for b in head)
        encoding = {
            (True, True, True, False): ("UTF-32 (big-endian)", "UTF-32BE"),
            (False, True, True, True): ("UTF-32 (little-endian)", "UTF-32LE"),
            (True, False, True, False): ("UTF-16 (big-endian)", "UTF-16BE"),
            (False, True, False, True): ("UTF-16 (little-endian)", "UTF-16LE"),
        }.get(zeros)
    if encoding is not None:
        name, codec = encoding
        return (
            f"is {name} text, not UTF-8: JSON is exchanged as UTF-8 (RFC 8259 §8.1); save or send it "
            f"as UTF-8 (iconv -f {codec} -t UTF-8, or PowerShell's -Encoding utf8)"
        )
    if head[:2] == b"\x1f\x8b":
        return "is gzip-compressed, not JSON text: " + (
            "send it with the header Content-Encoding: gzip (curl: -H 'Content-Encoding: gzip'), "
            "or uncompressed"
            if decompresses
            else "send or save it uncompressed (gunzip it first)"
        )
    if len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0 and _inflates(data):
        return "is zlib-compressed (deflate), not JSON text: " + (
            "send it with the header Content-Encoding: deflate, or uncompressed"
            if decompresses
            else "send or save it uncompressed"
        )
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): JSON is "
            "exchanged as UTF-8 (RFC 8259 §8.1); save or send it as UTF-8 (it may be Latin-1 or "
            "Windows-1252: iconv -f WINDOWS-1252 -t UTF-8)"
        )
    return None


def _inflates(data: bytes) -> bool:
    """Whether the start of ``data`` decompresses as zlib to what begins a JSON text (a text may
    begin like a zlib header: ``x^`` passes its check, and a few bytes after it inflate to nothing
    or to a byte or two without error)."""
    try:
        start = zlib.decompressobj().decompress(bytes(data[:512]), 64).lstrip(b" \t\r\n")
    except zlib.error:
        return False
    return start[:1] != b"" and start[:1] in _JSON_STARTS


_JSON_STARTS = b'{["-0123456789tfn\xef'  # a value's first byte (RFC 8259 §2-7), or a BOM's
