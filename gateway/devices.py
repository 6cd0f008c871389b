"""A device in words a person recognises ("Firefox on Windows"), from a browser's User-Agent header.

Only these words are stored with a session, never the header itself: enough to tell one's own devices
apart on the account page, too little to follow anyone.
"""

from __future__ import annotations

import re

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari", Android says "Linux".
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(HeadlessChrome|Chrome|Chromium|CriOS)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*\bSafari/")),
)
_SYSTEMS = (
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("Mac", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


def describe_device(user_agent: str | None) -> str:
    """ "Browser on system", or as much of it as the header tells; "Unknown device" when it tells nothing."""
    header = (user_agent or "")[:512]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(header)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(header)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return f"{browser or 'A browser'} on {system or 'an unknown system'}"
    return "Unknown device"
