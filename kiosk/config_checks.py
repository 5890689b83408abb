"""Checks on what an installer hands the kiosk: small files, URLs, CA bundles.

Each check raises ``ValueError`` with a one-line reason (never the secret it guards); the
settings loader puts the key's name in front. Nothing here blocks: a FIFO or a device named
as a file is refused by its type before a byte is read, and a regular file is read only up to
a small bound, so ``/dev/zero`` or a pipe can't eat memory or hang the start.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Largest key file read (bytes): a key is a few dozen characters.
MAX_KEY_FILE = 4096
#: Largest settings file read (bytes).
MAX_CONFIG_FILE = 256 * 1024
#: Largest CA bundle accepted (bytes): a whole system store is about 200 KB.
MAX_CA_BUNDLE = 10 * 1024 * 1024

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))
# The patterns are text: ``re`` compiles each at its first use and keeps it (compiling the five
# at import was ~4.5 M instructions of ``kiosk run``'s start; most settings need none of them).
# userinfo in a URL: scheme://user:password@host
_USERINFO = r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/?#@]*)@"
_BAD_URL_CHARS = r"[\x00-\x20\x7f-\x9f\"<>\\^`{|}]"
_PLAIN_HOST = r"[a-z0-9-]+(\.[a-z0-9-]+)*\.?"  # urlsplit's hostname is lowercase
_IPV4_STYLE = r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+"  # as httpx tells them apart
# OpenSSL's c_rehash / `openssl rehash` names: 8 hex digits, a dot, a counter (r: a CRL)
_HASHED_CERT = r"[0-9a-f]{8}\.r?\d+"


def file_kind(mode: int) -> str:
    """``a FIFO (named pipe)``, ``a character device``... for a non-regular file's mode."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_small_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (symlinks followed).

    Raises ``OSError`` for a missing or unreadable file and ``ValueError`` naming what the path
    is when it isn't a regular file, or when the file is larger than ``limit``.
    """
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"is {file_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise ValueError(f"is larger than {limit // 1024} KiB ({info.st_size} bytes)")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # the file may grow after the fstat: read at most limit + 1
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise ValueError(f"is larger than {limit // 1024} KiB")
        return b"".join(chunks)
    finally:
        os.close(fd)


def mask_url_credentials(text: str) -> str:
    """``http://user:***@proxy:3128`` for ``http://user:secret@proxy:3128``; a user name alone
    (which may itself be a token) becomes ``***``. Text without a URL is returned unchanged."""

    def mask(match: re.Match[str]) -> str:
        user, sep, _password = match[2].partition(":")
        return f"{match[1]}{user}:***@" if sep else f"{match[1]}***@"

    if "@" not in text:  # no user info to mask (and the pattern compiled only when needed)
        return text
    return re.sub(_USERINFO, mask, text)


def url_passwords(url: str) -> list[str]:
    """The secret parts of a URL's user info (password, or a lone user name), to redact."""
    match = re.search(_USERINFO, url) if "@" in url else None
    if not match or not match[2]:
        return []
    user, sep, password = match[2].partition(":")
    secret = password if sep else user
    return [secret, unquote(secret)] if secret else []


def _plain(url: str, host: str, user: str | None, password: str | None) -> bool:
    """A URL whose host httpx accepts as it is: ASCII, no user info, a host name of letters,
    digits, hyphens and dots with no IDNA A-label (httpx decodes those and may reject them),
    or a valid IPv4 address. Anything else goes to httpx's own parser."""
    if not url.isascii() or len(url) > 2048 or user is not None or password is not None:
        return False
    if re.fullmatch(_IPV4_STYLE, host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    return bool(re.fullmatch(_PLAIN_HOST, host)) and not any(
        label.startswith("xn--") for label in host.split("."))


def check_url(url: str, schemes: tuple[str, ...]) -> None:
    """A URL httpx will accept: one of ``schemes``, a host, a port in 1-65535, no spaces or
    control characters. The reason never repeats the URL's user info."""
    if not all(c.isprintable() for c in url):
        raise ValueError("must not contain spaces or control characters")
    bad = re.search(_BAD_URL_CHARS, url)
    if bad:
        raise ValueError(f"must not contain spaces, control characters or {bad[0]!r}"
                         if bad[0].isprintable() and bad[0] != " "
                         else "must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # "Port out of range 0-65535", "Invalid IPv6 URL"
        raise ValueError(f"is not a valid address ({exc})") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        starts = " or ".join(s + "://" for s in schemes)
        raise ValueError(f"must be an address starting with {starts}")
    if port == 0:
        raise ValueError("port must be from 1 to 65535")
    if _plain(url, parts.hostname, parts.username, parts.password):
        return  # httpx takes it as it is; importing httpx here cost every start ~40 ms
    import httpx  # the client's own parser has the last word (IDNA host names, ...)

    try:
        _ = httpx.URL(url).host  # the host is decoded (and an A-label checked) on access
    except (httpx.InvalidURL, ValueError) as exc:
        reason = mask_url_credentials(" ".join(str(exc).split()))[:80]
        raise ValueError(f"is not a valid address ({reason})") from None


def check_ca_bundle(path: Path) -> None:
    """A CA bundle that exists and can work: a PEM file of a sane size, or a directory holding
    hashed certificates (an empty directory would fail every connection)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist") from None
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        try:
            names = os.listdir(path)
        except OSError as exc:
            raise ValueError(f"{path}: cannot list ({exc.strerror or exc})") from None
        if not any(re.fullmatch(_HASHED_CERT, n) for n in names):
            raise ValueError(f"{path} is a directory without hashed certificates (put the "
                             "PEM files there and run `openssl rehash` on it, or name one file)")
    elif not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is {file_kind(info.st_mode)}, not a PEM file or directory")
    elif info.st_size > MAX_CA_BUNDLE:
        raise ValueError(f"{path} is larger than {MAX_CA_BUNDLE // 1024 // 1024} MiB")
    elif info.st_size == 0:
        raise ValueError(f"{path} is empty")
