"""The mock's console: one static page (console.html, no build step) served at /__mock/console.

The page holds no data, so it is served without the token, like the admin API's own document;
everything it shows it reads from the admin API with the token (typed in, or passed in the
address's fragment, `#token=...`, which browsers never send to a server), under the same
same-origin rule (mock/guard.py). Its Content-Security-Policy allows its own inline script and
style only (by hash), requests to its own origin only, and no framing.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files

__all__ = ["CONSOLE", "CONSOLE_PATH"]

CONSOLE_PATH = "/__mock/console"


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@dataclass(frozen=True)
class _Console:
    page: bytes
    headers: dict[str, str]

    @classmethod
    def load(cls) -> "_Console":
        text = files(__package__).joinpath("console.html").read_text(encoding="utf-8")
        scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
        styles = re.findall(r"<style>(.*?)</style>", text, re.S)
        policy = (f"default-src 'none'; script-src {' '.join(map(_hash, scripts))}; "
                  f"style-src {' '.join(map(_hash, styles))}; connect-src 'self'; "
                  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
        return cls(text.encode(), {"Content-Security-Policy": policy, "X-Frame-Options": "DENY",
                                   "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


CONSOLE = _Console.load()
