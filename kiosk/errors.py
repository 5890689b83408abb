"""The errors every layer may raise and ``kiosk.cli`` turns into one line on stderr (exit 2).

Dependency-free, so a domain module can raise them without importing the command line.
"""

from __future__ import annotations


class KioskError(Exception):
    """A problem the person starting the kiosk must fix; the message is one line."""


class ConfigError(KioskError):
    """An invalid setting: the message is one line naming the key and the reason."""


class UsageError(KioskError):
    """A command-line argument is invalid; the message names it and says why (one line)."""
