"""kiosk: redeem a member's personal Voyado Engage offers at the till."""

# A literal, not importlib.metadata.version(): that lookup cost ~45 ms of every cold start.
# pyproject.toml reads the package version from here.
__version__ = "0.1.0"

APP_NAME = "kiosk"
USER_AGENT = f"VoyadoKiosk/{__version__}"
