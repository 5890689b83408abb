"""``check_url`` answers plain URLs without importing httpx (kiosk run's start); its verdict
must be the one httpx's own parser gives, whichever way it is reached."""

from __future__ import annotations

import random
import string
import subprocess
import sys

import pytest

from kiosk import config_checks

HOSTS = ["engage.example", "a.b.c", "1.2.3.4", "999.1.1.1", "01.2.3.4", "1.2.3",
         "xn--fiqs8s.museum", "a.xn--x.b", "EXAMPLE.COM", "a-b.c", "-a.b", "a..b", "a.", "a_b.c",
         "localhost", "[::1]", "256.0.0.1", "a" * 300, "1.2.3.4.5", "user:pw@host.example",
         "user@host.example", "bücher.example"]


def corpus() -> list[str]:
    urls = [f"{scheme}://{host}{port}{path}" for scheme in ("https", "http") for host in HOSTS
            for port in ("", ":1", ":65535", ":0", ":65536", ":x")
            for path in ("", "/", "/api/v2", "//x", "?q=1", "/%zz", "/é")]
    rng = random.Random(17)
    chars = string.ascii_letters + string.digits + ".-_:@/?#%[]~!$&'()*+,;="
    urls += ["https://" + "".join(rng.choice(chars) for _ in range(rng.randint(1, 30)))
             for _ in range(3000)]
    return urls


def verdict(url: str) -> str:
    try:
        config_checks.check_url(url, ("http", "https"))
    except ValueError:
        return "rejected"
    return "accepted"


def test_fast_path_agrees_with_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    urls = corpus()
    fast = [verdict(u) for u in urls]
    monkeypatch.setattr(config_checks, "_plain", lambda *a: False)  # always ask httpx
    slow = [verdict(u) for u in urls]
    assert [(u, f, s) for u, f, s in zip(urls, fast, slow, strict=True) if f != s] == []
    assert "accepted" in fast and "rejected" in fast


def test_a_plain_engage_url_is_checked_without_importing_httpx() -> None:
    code = ("import sys; from kiosk.config_checks import check_url; "
            "check_url('https://acme.voyado.com/', ('https',)); print('httpx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
