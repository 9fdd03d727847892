"""The error type every user-facing failure derives from.

The CLI catches AugftError, prints its message (which names the file and line
or the config key) and exits non-zero without a traceback.
"""


class AugftError(Exception):
    """A user-facing error: bad input, bad config, missing model, unreachable service."""
