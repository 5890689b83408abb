"""The settings' fields, standard library only: what each accepts, and its one-line error.

``kiosk.config.Settings`` declares each setting as a class attribute with a type annotation and a
:func:`setting` spec (default, bounds, choices, description, checks); :func:`collect_fields`
turns those into :class:`Field` objects. ``Field.validate`` takes a value as it came (keyword
argument, ``KIOSK_*`` variable or TOML value) and returns the setting's value or raises: an
:class:`Invalid` for a value of the wrong kind or out of bounds, a ``ValueError`` from a check.
:func:`describe` words either as ``KEY: reason (got '...')``.

The spellings accepted are the ones pydantic 2 accepted in its lax mode when ``config.py`` was
a pydantic-settings model (checked value by value against it before it was replaced): numbers
from text (surrounding whitespace, ``_`` between digits, ``5.0`` for a whole number), booleans
as ``true/false/1/0/yes/no/on/off/t/f/y/n`` in any case, no ``inf`` or ``nan``. pydantic is not
imported here: it took ~150-200 ms of ``kiosk run``'s start before the first frame.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from kiosk.config_checks import mask_url_credentials

#: The stand-in shown for a set secret (as pydantic's SecretStr showed it).
MASK = "**********"
# Unicode White_Space, what pydantic's parser (Rust's str::trim) strips around a number: unlike
# str.strip() it keeps the ASCII separators \x1c-\x1f
_WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
               "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# Patterns as text: ``re`` compiles each at its first use and keeps it (a start whose settings
# are all defaults or text needs none: compiling them at import was ~2 M instructions of it).
_FLOAT_RE = (r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|"
             r"[+-]?(?i:inf|infinity|nan)")
_INT_RE = r"[+-]?[0-9]+(?:_[0-9]+)*"  # underscores only between digits
_BOOLS = {"0": False, "off": False, "f": False, "false": False, "n": False, "no": False,
          "1": True, "on": True, "t": True, "true": True, "y": True, "yes": True}
_I64 = 2.0 ** 63
_BOUND_WORDS = (("gt", "greater than"), ("ge", "at least"), ("lt", "less than"),
                ("le", "at most"))


class Secret:
    """A secret text: ``repr()`` and ``str()`` show ``**********``; ``get_secret_value()`` the
    text itself (for the one place that sends or checks it)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The secret itself. Never log or show it."""
        return self._value

    def __str__(self) -> str:
        return MASK if self._value else ""

    def __repr__(self) -> str:
        return f"Secret({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Invalid(Exception):
    """A value of the wrong kind or out of bounds: ``reason`` (pydantic's wording, lower case)
    and the value as it came, shown after the reason unless the field is a secret."""

    def __init__(self, reason: str, value: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value


class Field:
    """One setting: its kind, default, bounds, description and checks."""

    __slots__ = ("name", "kind", "type", "optional", "default", "default_factory",
                 "description", "default_text", "gt", "ge", "lt", "le", "max_length",
                 "pattern", "_pattern_re", "choices", "before", "checks")

    def __init__(self, default: Any = None, *, default_factory: Callable[[], Any] | None = None,
                 description: str, default_text: str | None = None,
                 gt: float | None = None, ge: float | None = None, lt: float | None = None,
                 le: float | None = None, max_length: int | None = None,
                 pattern: str | None = None, before: Callable[[Any], Any] | None = None,
                 checks: Iterable[Callable[[Any], Any]] = ()) -> None:
        self.name = ""
        self.kind = ""  # text, secret, float, int, bool, choice, path, floats
        self.type: type = object
        self.optional = False
        self.default = default
        self.default_factory = default_factory
        self.description = description
        self.default_text = default_text
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le
        self.max_length = max_length
        self.pattern = pattern
        # pydantic's patterns were Rust regexes: '$' is the very end, ASCII classes
        self._pattern_re = pattern.removesuffix("$") + r"\Z" if pattern else None
        self.choices: tuple[str, ...] = ()
        self.before = before
        self.checks = tuple(checks)

    def default_value(self) -> Any:
        """The default (a fresh one from the factory, if the field has one)."""
        return self.default_factory() if self.default_factory is not None else self.default

    def validate(self, value: Any) -> Any:
        """The setting's value for ``value``; :class:`Invalid` or ``ValueError`` if it isn't one."""
        if self.before is not None:
            value = self.before(value)
        result = None if value is None and self.optional else _KINDS[self.kind](self, value)
        for check in self.checks:
            result = check(result)
        return result

    def expectation(self) -> str | None:
        """What the field accepts, in words (None where pydantic's own wording was shown)."""
        if self.kind == "bool":
            return "must be true or false"
        if self.kind == "choice":
            return "must be one of " + ", ".join(self.choices)
        if self.kind == "path":
            return "must be a file path"
        kinds = {"float": "must be a number", "int": "must be a whole number"}
        if self.kind == "text" and not self.optional:
            kinds["text"] = "must be text"
        if self.kind not in kinds:
            return None
        bounds = [f"{words} {getattr(self, attr)}" for attr, words in _BOUND_WORDS
                  if getattr(self, attr) is not None]
        if self.max_length is not None:
            bounds.append(f"at most {self.max_length} characters")
        return f"{kinds[self.kind]} {' and '.join(bounds)}".strip()


def setting(default: Any = None, **spec: Any) -> Any:
    """A setting's spec, as the class attribute beside its annotation (see :class:`Field`)."""
    return Field(default, **spec)


def collect_fields(cls: type) -> dict[str, Field]:
    """The :class:`Field` of each annotated attribute of ``cls``, in declaration order; its kind
    comes from the annotation (written as text: ``from __future__ import annotations``)."""
    fields: dict[str, Field] = {}
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        spec = cls.__dict__.get(name)
        if not isinstance(spec, Field):
            continue
        text = str(annotation)
        spec.name = name
        spec.optional = text.endswith(" | None")
        base = text.removesuffix(" | None")
        if base.startswith("Literal["):
            spec.kind, spec.type = "choice", str
            spec.choices = tuple(re.findall(r"""["']([^"']*)["']""", base))
        else:
            spec.kind, spec.type = _ANNOTATIONS[base]
        fields[name] = spec
    return fields


def describe(key: str, field: Field | None, exc: Exception, *, secret: bool) -> str:
    """One line: ``KEY: reason``, with ``(got '...')`` after a wrong value that isn't secret."""
    if isinstance(exc, Invalid):
        reason = (field.expectation() if field is not None else None) or exc.reason
        if not secret and not isinstance(exc.value, dict):
            reason += f" (got {mask_url_credentials(str(exc.value))[:40]!r})"
    else:  # a check's ValueError: its message is the reason
        reason = str(exc)
    return " ".join(f"{key}: {reason}".split())


# --- the kinds ---------------------------------------------------------------------------------

def _unicode(value: str) -> str:
    """``value`` if it is valid Unicode text (a lone surrogate, e.g. from undecodable
    environment bytes, is not)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Invalid("input should be a valid string, unable to parse raw data as a unicode "
                          "string", value) from None
    return value


def _text(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("input should be a valid string", value)
    if field.max_length is None and field.pattern is None:
        return value  # (a lone surrogate goes on to the field's checks, as it did)
    _unicode(value)
    if field.max_length is not None and len(value) > field.max_length:
        raise Invalid(f"string should have at most {field.max_length} characters", value)
    if field._pattern_re is not None and not re.match(field._pattern_re, value, re.ASCII):
        raise Invalid(f"string should match pattern '{field.pattern}'", value)
    return value


def _secret(field: Field, value: Any) -> Secret:
    if isinstance(value, Secret):
        return value
    if not isinstance(value, str):
        raise Invalid("input should be a valid string", value)
    return Secret(value)


def _choice(field: Field, value: Any) -> str:
    if isinstance(value, str) and value in field.choices:
        return value
    raise Invalid("input should be one of " + ", ".join(field.choices), value)


def _path(field: Field, value: Any) -> Path:
    if isinstance(value, str | os.PathLike) and not isinstance(value, bytes):
        return Path(value)
    raise Invalid("input is not a valid path", value)


def _bool(field: Field, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.isascii() and value.lower() in _BOOLS:
        return _BOOLS[value.lower()]
    raise Invalid("input should be a valid boolean", value)


def _strip_underscores(text: str) -> str | None:
    """``1_000`` -> ``1000``; None where Python wouldn't accept the underscores either."""
    if "_" not in text or text.startswith("_") or text.endswith("_") or "__" in text:
        return None
    return text.replace("_", "")


def _parse_float(text: str) -> float | None:
    # the text without surrounding whitespace, else (whitespace and all) without underscores
    for candidate in (text.strip(_WHITESPACE), _strip_underscores(text)):
        if candidate is not None and re.fullmatch(_FLOAT_RE, candidate):
            return float(candidate)
    return None


def number(value: Any) -> float:
    """A finite float from a number or its text."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            raise Invalid("input should be a valid number", value) from None
    if isinstance(value, float):
        result = value
    elif isinstance(value, str):
        parsed = _parse_float(_unicode(value))
        if parsed is None:
            raise Invalid("input should be a valid number, unable to parse string as a number",
                          value)
        result = parsed
    else:
        raise Invalid("input should be a valid number", value)
    if not math.isfinite(result):
        raise Invalid("input should be a finite number", value)
    return result


def _parse_int(text: str) -> int | None:
    text = text.strip(_WHITESPACE)
    if len(text.encode("utf-8", "surrogatepass")) > 4300:
        return None
    whole = _whole_part(text)  # (1_0.0 is 10; 1_0.0_0 is refused)
    for candidate in (text, whole):
        if candidate is not None and re.fullmatch(_INT_RE, candidate):
            return int(candidate.replace("_", ""))
    return None


def _whole_part(text: str) -> str | None:
    """``5`` for ``5.0`` or ``5.000``; None for anything else."""
    head, dot, zeros = text.partition(".")
    return head if dot and zeros and not zeros.strip("0") else None


def whole_number(value: Any) -> int:
    """An int from a whole number or its text (``5.0`` is 5; ``5.5`` is refused)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Invalid("input should be a finite number", value)
        if value % 1:
            raise Invalid("input should be a valid integer, got a number with a fractional part",
                          value)
        if not -_I64 < value < _I64:
            raise Invalid("unable to parse input string as an integer, exceeded maximum size",
                          value)
        return int(value)
    if isinstance(value, str):
        parsed = _parse_int(_unicode(value))
        if parsed is None:
            raise Invalid("input should be a valid integer, unable to parse string as an integer",
                          value)
        return parsed
    raise Invalid("input should be a valid integer", value)


def _bounded(field: Field, value: Any, convert: Callable[[Any], Any]) -> Any:
    result = convert(value)
    for attr, words, ok in (("gt", "greater than", lambda b: result > b),
                            ("ge", "greater than or equal to", lambda b: result >= b),
                            ("lt", "less than", lambda b: result < b),
                            ("le", "less than or equal to", lambda b: result <= b)):
        bound = getattr(field, attr)
        if bound is not None and not ok(bound):
            raise Invalid(f"input should be {words} {bound}", value)
    return result


def _float(field: Field, value: Any) -> float:
    return float(_bounded(field, value, number))


def _int(field: Field, value: Any) -> int:
    return int(_bounded(field, value, whole_number))


def _floats(field: Field, value: Any) -> list[float]:
    if not isinstance(value, list | tuple | set | frozenset):
        raise Invalid("input should be a valid list", value)
    return [number(item) for item in value]


_KINDS: Mapping[str, Callable[[Field, Any], Any]] = {
    "text": _text, "secret": _secret, "choice": _choice, "path": _path, "bool": _bool,
    "float": _float, "int": _int, "floats": _floats,
}
_ANNOTATIONS: Mapping[str, tuple[str, type]] = {
    "str": ("text", str), "Secret": ("secret", Secret), "float": ("float", float),
    "int": ("int", int), "bool": ("bool", bool), "Path": ("path", Path),
    "list[float]": ("floats", list),
}
