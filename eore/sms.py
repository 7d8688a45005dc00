"""How many SMS parts a text takes, as a phone network counts them.

A text made only of characters of the GSM 03.38 default alphabet is sent in
7-bit units: 160 per single SMS, 153 per part of a longer one; characters of
the extension table (``^ { } \\ [ ] ~ | €`` and form feed) take two units and
never straddle two parts. Any other character (Arabic, Cyrillic, "á", "ç",
curly quotes) sends the whole text as UCS-2: 70 per single SMS, 67 per part,
and characters outside the Basic Multilingual Plane take two units.
National language shift tables are not assumed: few gateways use them.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[]~|€\f")

# (units in a single SMS, units per part of a longer one)
LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class SmsCount:
    """The encoding a text needs, its length in that encoding's units, and its parts."""

    encoding: str
    units: int
    segments: int
    # The characters that force UCS-2, in order of first use (empty for GSM-7).
    unicode_characters: str

    @property
    def single(self) -> bool:
        return self.segments <= 1


def count(text: str) -> SmsCount:
    """Return how ``text`` would be sent as SMS."""
    others = "".join(dict.fromkeys(c for c in text if c not in GSM7_BASIC | GSM7_EXTENSION))
    if others:
        encoding = "UCS-2"
        sizes = [2 if ord(c) > 0xFFFF else 1 for c in text]
    else:
        encoding = "GSM-7"
        sizes = [2 if c in GSM7_EXTENSION else 1 for c in text]
    single, part = LIMITS[encoding]
    units = sum(sizes)
    if units == 0:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments, used = 1, 0
        for size in sizes:
            if used + size > part:
                segments, used = segments + 1, 0
            used += size
    return SmsCount(encoding, units, segments, others)
