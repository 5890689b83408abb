"""Settings: env over TOML over defaults, one-line errors naming the key, transport rules."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.config import (
    ConfigError,
    Secret,
    Settings,
    SettingsError,
    default_config_path,
    load_settings,
    settings_table_markdown,
)

URL = "https://acme.voyado.com"
KEY = "k3y-for-config-tests-0001"


@pytest.fixture
def engage_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two settings `kiosk run` needs, so each test can break one other."""
    monkeypatch.setenv("KIOSK_ENGAGE_URL", URL)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", KEY)


def write_toml(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def config_error(path: Path | None = None, **kwargs: bool) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    # no chained exception either: pydantic's would carry the rejected input
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__
    return message


def test_defaults_need_no_file(engage_env: None, tmp_path: Path) -> None:
    settings = load_settings(None)
    assert settings.engage_url == URL
    assert settings.api_key() == KEY
    assert settings.idle_timeout == 60
    assert settings.lookup_key == "customKey"
    assert settings.breaker_failures == 3 and settings.breaker_cooldown == 15
    assert settings.terminal_name  # the host name
    home = Path.home()
    assert settings.journal_path.name == "journal.sqlite3"
    assert settings.journal_path.is_relative_to(home)
    assert settings.log_dir.is_relative_to(home)
    assert default_config_path().is_relative_to(home)
    assert settings.warnings() == []


def test_default_config_file_is_read(engage_env: None) -> None:
    path = default_config_path()
    path.parent.mkdir(parents=True)
    write_toml(path, 'store_name = "Gränden 4"\n')
    assert load_settings(None).store_name == "Gränden 4"


def test_env_wins_over_toml_which_wins_over_defaults(
    engage_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_toml(tmp_path / "kiosk.toml",
                      'idle_timeout = 30\nstore_name = "From file"\nscanner_check_ean = false\n')
    monkeypatch.setenv("KIOSK_IDLE_TIMEOUT", "45")
    settings = load_settings(path)
    assert settings.idle_timeout == 45  # env
    assert settings.store_name == "From file"  # file
    assert settings.scanner_check_ean is False  # file
    assert settings.scanner_baudrate == 9600  # default


def test_keyword_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Settings(...) built in code (pictures, tests, the demo) means what it says."""
    monkeypatch.setenv("KIOSK_STORE_NAME", "From env")
    monkeypatch.setenv("KIOSK_IDLE_TIMEOUT", "45")
    settings = Settings(store_name="From code")
    assert settings.store_name == "From code"  # init
    assert settings.idle_timeout == 45  # env, where init says nothing


def test_the_file_is_only_read_by_load_settings(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_toml(tmp_path / "kiosk.toml", 'store_name = "From file"\n')
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    assert Settings().store_name == "Store"  # no file layer outside load_settings
    assert load_settings(None, require_engage=False).store_name == "From file"
    assert Settings().store_name == "Store"  # and none left behind


def test_kiosk_config_env_names_the_file(
    engage_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_toml(tmp_path / "elsewhere.toml", 'terminal_name = "till-2"\n')
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    assert load_settings(None).terminal_name == "till-2"


def test_relative_paths_in_the_file_are_beside_it(engage_env: None, tmp_path: Path) -> None:
    path = write_toml(tmp_path / "kiosk.toml", 'journal_path = "data/j.sqlite3"\n')
    assert load_settings(path).journal_path == tmp_path / "data" / "j.sqlite3"


@pytest.mark.parametrize(("var", "value", "expected"), [
    ("KIOSK_IDLE_TIMEOUT", "abc",
     "KIOSK_IDLE_TIMEOUT: must be a number greater than 0 and at most 86400 (got 'abc')"),
    ("KIOSK_IDLE_TIMEOUT", "-5",
     "KIOSK_IDLE_TIMEOUT: must be a number greater than 0 and at most 86400 (got '-5')"),
    ("KIOSK_ENGAGE_TIMEOUT", "0", "KIOSK_ENGAGE_TIMEOUT: must be a number greater than 0"),
    ("KIOSK_ENGAGE_REDEEM_TIMEOUT", "soon", "KIOSK_ENGAGE_REDEEM_TIMEOUT: must be a number"),
    ("KIOSK_LOOKUP_KEY", "phone", "KIOSK_LOOKUP_KEY: must be one of customKey, email, "
                                  "mobilePhone, socialSecurityNumber, any (got 'phone')"),
    ("KIOSK_SCANNER_BAUDRATE", "9601", "KIOSK_SCANNER_BAUDRATE: must be one of 1200"),
    ("KIOSK_SCANNER_BAUDRATE", "fast", "KIOSK_SCANNER_BAUDRATE: must be a whole number"),
    ("KIOSK_SCANNER_CHECK_EAN", "perhaps", "KIOSK_SCANNER_CHECK_EAN: must be true or false"),
    ("KIOSK_SCANNER_MIN_LENGTH", "0",
     "KIOSK_SCANNER_MIN_LENGTH: must be a whole number at least 1"),
    ("KIOSK_SCANNER_MIN_LENGTH", "70", "KIOSK_SCANNER_MIN_LENGTH: must not be greater than "
                                       "scanner_max_length (70 > 64)"),
    ("KIOSK_SCANNER_MAX_LENGTH", "9999", "KIOSK_SCANNER_MAX_LENGTH: must be a whole number"),
    ("KIOSK_SCANNER_PORT", "scanner1", "KIOSK_SCANNER_PORT: must be a device path"),
    ("KIOSK_STORE_NAME", "Shop\x1b[2J", "KIOSK_STORE_NAME: must not contain control characters"),
    ("KIOSK_STAFF_PIN", "12", "KIOSK_STAFF_PIN: must be the hash written by `kiosk pin`"),
    ("KIOSK_ENGAGE_PROXY", "proxy:3128", "KIOSK_ENGAGE_PROXY: must start with http://, https:// or socks5://"),
    ("KIOSK_LOG_LEVEL", "chatty", "KIOSK_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR"),
    ("KIOSK_BREAKER_FAILURES", "0", "KIOSK_BREAKER_FAILURES: must be a whole number at least 1"),
    ("KIOSK_BREAKER_COOLDOWN", "x", "KIOSK_BREAKER_COOLDOWN: must be a number greater than 0"),
    ("KIOSK_PIN_MAX_ATTEMPTS", "0", "KIOSK_PIN_MAX_ATTEMPTS: must be a whole number at least 1"),
    ("KIOSK_ENGAGE_URL", "http://acme.voyado.com", "KIOSK_ENGAGE_URL: must use https://"),
    ("KIOSK_ENGAGE_URL", "acme.voyado.com", "KIOSK_ENGAGE_URL: must be an https:// address"),
    ("KIOSK_ENGAGE_URL", "https://u:p@acme.voyado.com", "KIOSK_ENGAGE_URL: must not contain a "
                                                        "user name or password"),
    ("KIOSK_ENGAGE_CA_BUNDLE", "/nonexistent/ca.pem", "KIOSK_ENGAGE_CA_BUNDLE: /nonexistent/ca.pem "
                                                      "does not exist"),
    ("KIOSK_ENGAGE_VERIFY", "false", "KIOSK_ENGAGE_VERIFY: unknown setting"),
    ("KIOSK_IDEL_TIMEOUT", "30", "KIOSK_IDEL_TIMEOUT: unknown setting (did you mean "
                                 "'KIOSK_IDLE_TIMEOUT'?)"),
])
def test_each_invalid_env_setting_names_the_key(
    engage_env: None, monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(var, value)
    assert config_error().startswith(expected)


def test_verification_cannot_be_turned_off(
    engage_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_VERIFY", "false")
    assert "TLS verification is always on" in config_error()


@pytest.mark.parametrize("missing", ["KIOSK_ENGAGE_URL", "KIOSK_ENGAGE_API_KEY"])
def test_run_needs_url_and_key(
    engage_env: None, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.delenv(missing)
    assert config_error().startswith(f"{missing}: not set")
    load_settings(None, require_engage=False)  # demo/journal don't need them


def test_invalid_value_in_toml_names_key_and_file(engage_env: None, tmp_path: Path) -> None:
    path = write_toml(tmp_path / "kiosk.toml", 'idle_timeout = "abc"\n')
    assert config_error(path) == (
        f"idle_timeout in {path}: must be a number greater than 0 and at most 86400 (got 'abc')")


def test_env_value_is_blamed_not_the_file(
    engage_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_toml(tmp_path / "kiosk.toml", "idle_timeout = 30\n")
    monkeypatch.setenv("KIOSK_IDLE_TIMEOUT", "never")
    assert config_error(path).startswith("KIOSK_IDLE_TIMEOUT: must be a number")


def test_unknown_key_in_toml_is_an_error(engage_env: None, tmp_path: Path) -> None:
    path = write_toml(tmp_path / "kiosk.toml", 'store_name = "x"\nidel_timeout = 30\n')
    assert config_error(path) == (
        f"{path}: unknown setting 'idel_timeout' (did you mean 'idle_timeout'?)")


def test_tables_are_unknown_keys_too(engage_env: None, tmp_path: Path) -> None:
    path = write_toml(tmp_path / "kiosk.toml", "[engage]\nurl = 'https://x'\n")
    assert config_error(path).startswith(f"{path}: unknown setting 'engage'")


def test_toml_syntax_error_names_file_and_line(engage_env: None, tmp_path: Path) -> None:
    path = write_toml(tmp_path / "kiosk.toml", 'store_name = "x"\nidle_timeout = \n')
    message = config_error(path)
    assert message.startswith(f"{path} line 2, column")
    assert "invalid TOML" in message


def test_named_config_file_must_exist(engage_env: None, tmp_path: Path) -> None:
    assert config_error(tmp_path / "nope.toml") == (
        f"config file {tmp_path / 'nope.toml'}: not found")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080", "http://127.3.2.1", "http://localhost:9000/", "http://[::1]:8080",
])
def test_plain_http_is_allowed_on_loopback(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", url)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", KEY)
    assert load_settings(None).engage_url == url.rstrip("/")


@pytest.mark.parametrize("url", [
    "http://10.0.0.5", "http://acme.voyado.com", "http://localhost.evil.example",
    "http://128.0.0.1", "ftp://acme.voyado.com",
])
def test_plain_http_to_other_hosts_is_refused(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", url)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", KEY)
    assert config_error().startswith("KIOSK_ENGAGE_URL: must")


def test_ssl_context_verifies_and_needs_tls12(engage_env: None) -> None:
    ctx = load_settings(None).ssl_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert ctx.cert_store_stats()["x509_ca"] > 0


def test_ca_bundle_is_used(engage_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import certifi

    monkeypatch.setenv("KIOSK_ENGAGE_CA_BUNDLE", certifi.where())
    ctx = load_settings(None).ssl_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.cert_store_stats()["x509_ca"] > 0


def test_a_ca_bundle_that_is_not_pem_stops_the_start(
    engage_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    monkeypatch.setenv("KIOSK_ENGAGE_CA_BUNDLE", str(bogus))
    assert config_error().startswith("KIOSK_ENGAGE_CA_BUNDLE: not a usable PEM certificate bundle")


def test_lookup_key_any_warns(engage_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_LOOKUP_KEY", "any")
    assert any("KIOSK_LOOKUP_KEY" in w for w in load_settings(None).warnings())


def test_settings_table_lists_every_setting_with_meaning() -> None:
    table = settings_table_markdown()
    rows = [line for line in table.splitlines() if line.startswith("| `KIOSK_")]
    assert len(rows) == len(Settings.fields)
    assert "| `KIOSK_IDLE_TIMEOUT` | `60.0` |" in table
    assert "| `KIOSK_LOOKUP_KEY` | `customKey` |" in table
    for name, info in Settings.fields.items():
        assert info.description, f"{name} has no description"


EXAMPLE = Path(__file__).resolve().parents[1] / "assets" / "kiosk.example.toml"


def test_example_config_loads_and_documents_every_setting(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    write_toml(path, EXAMPLE.read_text(encoding="utf-8"))
    write_toml(tmp_path / "apikey", KEY + "\n")
    text = path.read_text(encoding="utf-8")
    text = text.replace("https://YOUR-TENANT.voyado.com", URL)
    write_toml(path, text)
    settings = load_settings(path)
    assert settings.api_key() == KEY and settings.warnings() == []
    for name in Settings.fields:
        assert re.search(rf"^(# ?)?{name}\b", text, re.MULTILINE), f"{name} not in the example"


def test_example_config_shows_the_real_defaults() -> None:
    shown = re.findall(r"^# (\w+) = (.+?)(?:\s+#.*)?$", EXAMPLE.read_text(encoding="utf-8"),
                       re.MULTILINE)
    assert len(shown) > 10
    for name, value in shown:
        info = Settings.fields[name]
        if info.default_factory is None and info.default not in (None, ""):
            assert tomllib.loads(f"x = {value}")["x"] == info.default, name


def test_loading_settings_imports_no_pydantic(tmp_path: Path) -> None:
    """The settings are checked before the first frame: they must not pay for pydantic (or
    pydantic-settings, python-dotenv...), which was the largest import of `kiosk run`'s start."""
    code = ("import sys\nfrom kiosk.config import load_settings\n"
            "settings = load_settings(None)\nassert settings.api_key()\n"
            "print(sorted(m for m in sys.modules if m.partition('.')[0] in {'pydantic', "
            "'pydantic_core', 'pydantic_settings', 'dotenv', 'annotated_types', "
            "'typing_inspection'}))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_ENGAGE_URL="http://127.0.0.1:9", KIOSK_ENGAGE_API_KEY=KEY,
               KIOSK_CONFIG=str(write_toml(tmp_path / "kiosk.toml", 'store_name = "x"\n')),
               KIOSK_JOURNAL_PATH=str(tmp_path / "journal.sqlite3"),
               KIOSK_LOG_DIR=str(tmp_path / "log"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_with_changes_checks_the_changed_values(engage_env: None) -> None:
    settings = load_settings(None)
    changed = settings.with_changes(typed_lookup="card, phone", engage_api_key=Secret("k3y-2"))
    assert changed.typed_lookup == "card,phone" and changed.api_key() == "k3y-2"
    assert settings.typed_lookup == "card,email,phone" and settings.api_key() == KEY
    assert changed.store_name == settings.store_name
    for bad, message in (({"idle_timeout": "0"}, "KIOSK_IDLE_TIMEOUT: must be a number greater "
                          "than 0 and at most 86400 (got '0')"),
                         ({"idle_timout": 5}, "idle_timout: extra inputs are not permitted"),
                         ({"engage_api_key": "two words"}, "KIOSK_ENGAGE_API_KEY: must be one "
                          "word of ASCII letters, digits and punctuation, without spaces or "
                          "control characters")):
        with pytest.raises(SettingsError) as info:
            settings.with_changes(**bad)
        assert str(info.value).startswith(message)
        assert isinstance(info.value, ConfigError) and isinstance(info.value, ValueError)


def test_settings_are_read_only_and_secrets_masked(engage_env: None) -> None:
    settings = load_settings(None)
    with pytest.raises(AttributeError):
        settings.store_name = "x"  # type: ignore[misc]
    assert repr(Secret(KEY)) == "Secret('**********')" and str(Secret("")) == ""
    assert '"engage_api_key": "**********"' in settings.as_json()
    assert settings == Settings() and settings != settings.with_changes(store_name="Other")
