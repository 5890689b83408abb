"""Property: whatever KIOSK_* environment and TOML file a till is started with, loading the
settings gives a usable Settings object or one line naming the problem (``kiosk`` exits 2 with
it); never a traceback, a hang, or the API key or a proxy password in the message."""

from __future__ import annotations

import datetime
import json
import math
import os
from pathlib import Path
from typing import Any

import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.config import ConfigError, Settings, env_name, load_settings
from kiosk.ui.launch import make_client
from tests.fuzz import NUMBER_TEXT, hostile_text

KEY = "k3y-property-test-000001"
URL = "https://acme.voyado.com"
PASSWORD = "Pr0pertyPassw0rd"
FIELDS = list(Settings.fields)
PATH_FIELDS = ["engage_api_key_file", "engage_ca_bundle", "journal_path", "log_dir"]
URL_FIELDS = ["engage_url", "engage_proxy"]
NUMBER_FIELDS = [n for n, f in Settings.fields.items() if f.type in (int, float)]


def special_paths(tmp: Path) -> dict[str, str]:
    """Files an installer might name: the good ones and the ones that used to hang or blow up."""
    (tmp / "dir").mkdir()
    (tmp / "empty-dir").mkdir()
    os.mkfifo(tmp / "fifo")
    (tmp / "zero").symlink_to("/dev/zero")
    key = tmp / "key"
    key.write_text(KEY + "\n")
    key.chmod(0o600)
    (tmp / "big").write_bytes(b"x" * 300_000)
    (tmp / "binary").write_bytes(b"\xff\xfe\x00\x01")
    ca = tmp / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    return {"dir": str(tmp / "dir"), "empty": str(tmp / "empty-dir"), "fifo": str(tmp / "fifo"),
            "zero": str(tmp / "zero"), "dev": "/dev/zero", "key": str(key),
            "big": str(tmp / "big"), "binary": str(tmp / "binary"), "ca": str(ca),
            "missing": str(tmp / "missing"), "journal": str(tmp / "j" / "journal.sqlite3"),
            "relative": "relative/path"}


def url_values() -> st.SearchStrategy[str]:
    host = st.one_of(st.sampled_from(["acme.voyado.com", "127.0.0.1", "[::1]", "localhost",
                                      "xn--", "a b", "é.se", "[::1", "-x-", ""]),
                     hostile_text(12, env_safe=True))
    port = st.one_of(st.just(""), st.sampled_from([":443", ":0", ":99999", ":-1", ":x", ":"]))
    path = st.one_of(st.just(""), st.sampled_from(["/", "/api", "/a b", "/?q=1", "/#f"]),
                     hostile_text(8, env_safe=True))
    scheme = st.sampled_from(["https://", "http://", "socks5://", "ftp://", "", "https:/"])
    userinfo = st.sampled_from(["", f"u:{PASSWORD}@", f"{PASSWORD}@", "u:@"])
    good = "https://acme.voyado.com"
    odd = st.one_of(st.sampled_from(list("\x01\t\n\x1b\x7f\x85\u2028 {}|\\^`<>\"%[]@#?:")),
                    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
    one_char_off = st.builds(lambda c, at: good[:at] + c + good[at:], odd,
                             st.integers(8, len(good)))
    return st.one_of(one_char_off, one_char_off,
                     st.builds(lambda *p: "".join(p), scheme, userinfo, host, port, path),
                     hostile_text(30, env_safe=True))


def env_values(paths: dict[str, str]) -> st.SearchStrategy[dict[str, str]]:
    text = hostile_text(30, env_safe=True)
    good = {"engage_api_key_file": paths["key"], "engage_ca_bundle": paths["ca"],
            "journal_path": paths["journal"], "log_dir": paths["missing"],
            "engage_proxy": "http://proxy.store.lan:3128", "lookup_key": "email",
            "scanner_port": "auto", "staff_pin": "2468", "log_level": "debug",
            "store_name": "Gränden 4", "terminal_name": "Till 3", "scanner_check_ean": "no"}
    per_field: dict[str, st.SearchStrategy[str]] = {}
    for name, info in Settings.fields.items():
        valid = good.get(name, str(info.default))
        if name in PATH_FIELDS:
            bad: st.SearchStrategy[str] = st.one_of(st.sampled_from(sorted(paths.values())), text)
        elif name in URL_FIELDS:
            bad = url_values()
        elif name in NUMBER_FIELDS:
            bad = st.one_of(NUMBER_TEXT, text)
        elif name == "engage_api_key":
            valid, bad = KEY, text
        else:
            bad = text
        # mostly valid values, so that one bad value is what stops the start
        per_field[name] = st.one_of(st.just(valid), st.just(valid), bad)
    chosen = st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)
    often = st.sampled_from([True] * 9 + [False])  # (integers() would favour its bounds)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, str]:
        env = {env_name(name): draw(per_field[name]) for name in draw(chosen)}
        # usually the two `kiosk run` needs, so the later checks (and the client) are reached
        if draw(often):
            env.setdefault("KIOSK_ENGAGE_URL", draw(st.one_of(st.just(URL), url_values())))
        if draw(often) and "KIOSK_ENGAGE_API_KEY_FILE" not in env:
            env.setdefault("KIOSK_ENGAGE_API_KEY", KEY)
        if not draw(often):  # now and then a name that is no setting
            env["KIOSK_" + draw(st.sampled_from(["IDEL_TIMEOUT", "VERIFY", "X", "engage_url"]))] \
                = "1"
        return env

    return build()


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, int | datetime.date):
        return str(value) if isinstance(value, int) else value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) \
            + "}"
    return json.dumps(str(value), ensure_ascii=False)


def toml_files(paths: dict[str, str]) -> st.SearchStrategy[bytes]:
    scalar = st.one_of(hostile_text(20), st.integers(min_value=-(10**25), max_value=10**25),
                       st.floats(), st.booleans(), st.dates(),
                       st.sampled_from(sorted(paths.values())))
    value = st.one_of(scalar, st.lists(scalar, max_size=3),
                      st.dictionaries(hostile_text(5), scalar, max_size=2))
    key = st.one_of(st.sampled_from(FIELDS), st.sampled_from(["idel_timeout", "x", "KIOSK_X"]))
    table = st.dictionaries(key, value, max_size=6).map(
        lambda d: "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in d.items()).encode(
            "utf-8", "surrogatepass"))
    return st.one_of(table, st.binary(max_size=60),
                     st.sampled_from([b"\xef\xbb\xbfstore_name = 'x'\n", b"[engage]\nurl = 1\n",
                                      b"a = " + b"[" * 5000, b"store_name = '''\n"]))


def test_any_environment_and_file_gives_settings_or_one_line(tmp_path: Path) -> None:
    paths = special_paths(tmp_path)
    config = tmp_path / "kiosk.toml"
    saved = dict(os.environ)

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(env=env_values(paths), file=st.one_of(st.none(), toml_files(paths)),
           require_engage=st.booleans())
    def run(env: dict[str, str], file: bytes | None, require_engage: bool) -> None:
        os.environ.clear()
        os.environ.update({k: v for k, v in saved.items() if not k.startswith("KIOSK_")})
        os.environ.update(env)
        if file is not None:
            config.write_bytes(file)
            config.chmod(0o600)
        typed_key = env.get("KIOSK_ENGAGE_API_KEY", "").strip()
        # a generated key that also stands in another value (or the file) may be quoted as that
        # value: only the fixed secrets, and a typed key found nowhere else, must never show
        elsewhere = [v for k, v in env.items() if k != "KIOSK_ENGAGE_API_KEY"]
        if any(typed_key in v for v in elsewhere) or (
                file is not None and typed_key.encode("utf-8", "surrogatepass") in file):
            typed_key = ""
        secrets = [s for s in (KEY, PASSWORD, typed_key) if len(s) >= 8]
        try:
            loaded = load_settings(config if file is not None else None,
                                   require_engage=require_engage)
        except ConfigError as exc:
            message = str(exc)
            assert message and "\n" not in message and "\r" not in message, message
            assert exc.__cause__ is None
            assert not [s for s in secrets if s in message], message
            return
        shown = repr(loaded.public_items()) + repr(loaded)
        assert KEY not in shown and PASSWORD not in shown
        if loaded.engage_url and loaded.has_api_key():
            make_client(loaded)  # httpx accepts the URL, the proxy and the TLS setup

    try:
        run()
    finally:
        os.environ.clear()
        os.environ.update(saved)
