"""The one error a request handler raises: an HTTP status with the platform's error body."""

from __future__ import annotations


class HttpError(Exception):
    """Answered as ``{"error": message, "code": code, "field": field}`` with ``status``.

    ``error`` is also the Open Inference Protocol's error body (its REST form defines only that
    key), so stock clients show the message. ``headers`` go out with it (``Allow`` on a 405).
    """

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        code: str = "invalid_input",
        headers: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.code, self.headers = status, message, field, code, headers

    def body(self) -> dict[str, str | None]:
        return {"error": self.message, "code": self.code, "field": self.field}
