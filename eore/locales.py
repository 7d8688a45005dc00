"""The one list of languages the toolkit knows: native name and direction.

A content pack chooses which of them it offers (and may add others, giving
their name and direction in ``pack.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocaleInfo:
    """A language as shown to people: its code, native name and direction."""

    code: str
    name: str
    direction: str = "ltr"


KNOWN_LOCALES = {
    info.code: info
    for info in (
        LocaleInfo("en", "English"),
        LocaleInfo("ar", "العربية", "rtl"),
        LocaleInfo("uk", "Українська"),
        LocaleInfo("es", "Español"),
        LocaleInfo("fr", "Français"),
        LocaleInfo("ru", "Русский"),
        LocaleInfo("fa", "فارسی", "rtl"),
        LocaleInfo("ps", "پښتو", "rtl"),
        LocaleInfo("ku", "Kurdî"),
        LocaleInfo("my", "မြန်မာ"),
        LocaleInfo("lo", "ລາວ"),
        LocaleInfo("km", "ខ្មែរ"),
        LocaleInfo("si", "සිංහල"),
        LocaleInfo("ta", "தமிழ்"),
        LocaleInfo("pt", "Português"),
    )
}

# Locales whose interface catalogue ships in translations/.
INTERFACE_LOCALES = ("en", "ar", "uk", "es", "fr", "ps")
# Catalogues still being translated: missing strings show in English.
PARTIAL_INTERFACE_LOCALES = ("ps",)
