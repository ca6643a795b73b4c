"""The one base for errors a person caused and can fix.

Every layer raises its own subclass (a bad setting, a bad roster, a name the store does not know,
an unreadable CSV); the command line catches :class:`UserError` alone and prints its message as one
line, never a traceback. Anything else is a bug or an outage and is allowed to show as one.
"""


class UserError(Exception):
    """Something the person running strongtie asked for cannot be done as asked; the message says
    what to change."""


class InputError(UserError, ValueError):
    """A value a person typed cannot be read (a time, a number, a word of a command); the message
    quotes it and says what form was expected."""
