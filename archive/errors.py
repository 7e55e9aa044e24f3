"""One error type for everything a user can fix.

Its message is Chinese and says what is wrong and what to do; the CLI prints it as is
and exits non-zero. Anything else escaping a command is a bug.
"""


class WenshuError(Exception):
    """A problem the user can fix; ``str(err)`` is the message to show."""

    exit_code = 1


class NotAnArchiveError(WenshuError):
    exit_code = 2
