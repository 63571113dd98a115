"""The one exception type of the client."""

import grpc


class LaitError(Exception):
    """A failed call: `code` is the grpc.StatusCode, `details` the server's message.

    The server's messages name the offending field and value (and, for NOT_FOUND, the missing
    segment ids), so `details` is meant to be shown to the user as is.
    """

    def __init__(self, code, details, method=""):
        self.code = code
        self.details = details or ""
        self.method = method
        name = code.name if isinstance(code, grpc.StatusCode) else str(code)
        where = f"{method}: " if method else ""
        super().__init__(f"{where}{name}: {self.details}")

    @classmethod
    def from_rpc_error(cls, error, method=""):
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        details = error.details() if hasattr(error, "details") else str(error)
        return cls(code, details, method)


def status_code_from_number(number):
    """grpc.StatusCode for a numeric code (as carried by per-item errors); UNKNOWN if unknown."""
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN
