"""Settings: ``KIOSK_*`` environment variables over a TOML file over defaults.

SKELETON — the configuration helper completes this module (TOML source, validation messages,
key file, permission warnings, ``kiosk pin``). Field names are the public interface.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """An invalid setting: the message is one line naming the key and the reason."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_", extra="forbid")

    engage_url: str = ""
    engage_api_key: SecretStr | None = None
    engage_api_key_file: Path | None = None
    engage_ca_bundle: Path | None = None
    engage_timeout: float = Field(5.0, gt=0)
    engage_redeem_timeout: float = Field(20.0, gt=0)
    lookup_key: Literal["customKey", "email", "mobilePhone", "socialSecurityNumber", "any"] = "customKey"
    scanner_port: str | None = None
    scanner_baudrate: int = 9600
    scanner_check_ean: bool = True
    scanner_min_length: int = 4
    scanner_max_length: int = 64
    idle_timeout: float = Field(60.0, gt=0)
    store_name: str = "Store"
    terminal_name: str = ""
    staff_pin: SecretStr | None = None
    journal_path: Path | None = None
    log_dir: Path | None = None


def load_settings(config_path: Path | None = None) -> Settings:
    return Settings()


def pin_main(args: object) -> int:
    raise ConfigError("kiosk pin is not implemented yet")
