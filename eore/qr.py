"""QR codes as small SVG: crisp at any print size, no image library needed.

The ``qrcode`` library computes the modules; this module draws them as one
SVG path, merging each row's runs of dark modules, which keeps a lesson's
code under 3 KB.
"""

from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.util import BIT_LIMIT_TABLE

LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}
# Beyond version 25 (117 modules a side) the modules of a code printed a few
# centimetres wide are too small for an ordinary phone camera.
MAX_VERSION = 25
QUIET_ZONE = 4


class TooLongForQr(ValueError):
    """The text does not fit a QR code that a phone can read from paper."""

    def __init__(self, size: int, capacity: int):
        super().__init__(f"{size} bytes; at most {capacity} fit")
        self.size = size
        self.capacity = capacity


def matrix(data: str, level: str = "M") -> list[list[bool]]:
    """Return the modules of the QR code of ``data`` (True is dark), quiet zone included."""
    payload = data.encode("utf-8")
    if len(payload) > capacity(level):
        raise TooLongForQr(len(payload), capacity(level))
    code = qrcode.QRCode(error_correction=LEVELS[level], border=QUIET_ZONE)
    code.add_data(payload, optimize=0)
    code.make(fit=True)
    return code.get_matrix()


def svg(data: str, level: str = "M", title: str = "") -> str:
    """Return an SVG drawing of the QR code of ``data``, sized by its viewBox."""
    modules = matrix(data, level)
    size = len(modules)
    runs = []
    for y, row in enumerate(modules):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'role="img" shape-rendering="crispEdges">{label}'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def fits(data: str, level: str = "M") -> bool:
    """Say whether ``data`` fits a readable code at ``level`` (without drawing it)."""
    return len(data.encode("utf-8")) <= capacity(level)


def capacity(level: str = "M") -> int:
    """Return how many bytes the largest readable code holds at ``level``."""
    # Byte mode: a 4-bit mode indicator and a 16-bit length precede the data.
    return (BIT_LIMIT_TABLE[LEVELS[level]][MAX_VERSION] - 4 - 16) // 8


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
