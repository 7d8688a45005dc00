"""SMS segment counts, as phone networks count them (GSM 03.38 and UCS-2)."""

import pytest

from eore.sms import count


@pytest.mark.parametrize(
    "text, encoding, units, segments",
    [
        ("", "GSM-7", 0, 0),
        ("Stop. Do not touch. Go back the way you came.", "GSM-7", 45, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        # Extension characters count twice...
        ("€" * 80, "GSM-7", 160, 1),
        ("a" + "€" * 80, "GSM-7", 161, 2),
        # ...and never straddle two parts: 152 units, then a 2-unit euro sign.
        ("a" * 152 + "€" + "b" * 5, "GSM-7", 159, 1),
        ("a" * 152 + "€" + "b" * 10, "GSM-7", 164, 2),
        ("a" * 152 + "€" + "b" * 152, "GSM-7", 306, 3),
        # Accents of the default alphabet stay 7-bit; others force UCS-2.
        ("Ñandú", "UCS-2", 5, 1),
        ("àéèìòù ÄÖÜäöü ñÑ ÇÉ", "GSM-7", 19, 1),
        ("Don’t touch", "UCS-2", 11, 1),
        ("ب" * 70, "UCS-2", 70, 1),
        ("ب" * 71, "UCS-2", 71, 2),
        ("Не торкайтеся" * 10, "UCS-2", 130, 2),
        ("я" * 135, "UCS-2", 135, 3),
        # Characters outside the BMP take two UTF-16 units and are never split.
        ("😀" * 35, "UCS-2", 70, 1),
        ("a" * 66 + "😀" + "b", "UCS-2", 69, 1),
        ("a" * 66 + "😀" + "b" * 4, "UCS-2", 72, 2),
    ],
)
def test_segments(text, encoding, units, segments):
    result = count(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


def test_names_the_characters_that_force_unicode():
    assert count("Ne touchez pas, ça explose").unicode_characters == "ç"
    assert count("Don’t “touch”").unicode_characters == "’“”"
    assert count("Stop").unicode_characters == ""
