"""kiosk: redeem a member's personal Voyado Engage offers at the till."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kiosk")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

APP_NAME = "kiosk"
USER_AGENT = f"VoyadoKiosk/{__version__}"
