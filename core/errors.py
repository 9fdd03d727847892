"""The error type every user-facing failure derives from.

The CLI catches AugftError, prints its message (which names the file and line
or the config key) and exits non-zero without a traceback.
"""
from typing import Optional


class AugftError(Exception):
    """A user-facing error: bad input, bad config, missing model, unreachable service.

    The message is kept apart from `args`: Ray Data appends retry advice to a worker exception's
    args ("Failed to apply UDF transform after 1/1 attempts ..."), which is noise here, as a bad
    record is not transient; pickling (to the driver) carries the message alone."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = str(message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return type(self), (self.message,)


class CapReached(AugftError):
    """A run stopped itself at a cap it was given (augmentation's generated tokens), its resumable
    state intact: the caller names the key that set the cap."""

    def __init__(self, message: str = "", spent: float = 0.0, cap: float = 0.0):
        super().__init__(message)
        self.spent = spent
        self.cap = cap

    def __reduce__(self):
        return type(self), (self.message, self.spent, self.cap)


def user_error(exc: Optional[BaseException]) -> Optional[AugftError]:
    """The AugftError a Ray worker raised, unwrapped from Ray's `RayTaskError(AugftError)` (which
    is itself an AugftError, but whose text is the remote traceback), or `exc` when it is one; None
    when there is none in the chain."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "cause", None)  # RayTaskError keeps the worker's exception here
        if isinstance(exc, AugftError) and not isinstance(inner, BaseException):
            return exc
        exc = inner if isinstance(inner, BaseException) else (exc.__cause__ or exc.__context__)
    return None
