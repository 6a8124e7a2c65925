"""Errors a user can cause: each carries one clear sentence (what is wrong, what to do).

Anything else that goes wrong inside stylehead is a bug and stays loud (a normal exception with a
traceback). The CLI prints a :class:`StyleheadError` as ``error: <message>`` and exits with code 2.
"""


class StyleheadError(Exception):
    """A problem with the user's input or request, explained in one sentence."""


class MediaError(StyleheadError):
    """A file that cannot be read or written as the media it should be."""


class NoFaceError(StyleheadError):
    """No face could be found where one is needed."""
