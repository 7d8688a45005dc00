"""Narration and sign-language videos of the lessons, found by their file names.

For people who cannot read, each lesson and each of its key messages may have
a recording per language, in the pack's ``media`` folder:

- ``media/audio/<locale>/<slug>.mp3``: the whole lesson read aloud;
- ``media/audio/<locale>/<slug>.key-<n>.mp3``: key message ``n`` (1 to 5) alone;
- the same names ending in ``.tts.mp3`` are narration made by a computer voice
  (``eore audio build``); a human recording of the same name always wins;
- ``media/video/<locale>/<slug>.sign.mp4``: the lesson in sign language, with
  captions in ``<slug>.sign.vtt`` (WebVTT) when there are some.

MP3 is what every phone plays, the oldest Android browsers included; speech
needs no more than 32 kbit/s (4 KB a second). ``eore check`` warns about a file
in another format, a larger bit rate, or a name that matches no lesson.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

PLAYABLE_AUDIO = (".mp3",)
# Other sound files are reported and left out: old Android browsers cannot play
# Opus or Ogg, and WAV or FLAC are many times larger than speech needs.
OTHER_AUDIO = (".ogg", ".oga", ".opus", ".webm", ".wav", ".flac", ".m4a", ".aac", ".amr")
VIDEO = (".mp4",)
CAPTIONS = ".vtt"
MAX_AUDIO_KBPS = 32  # 4 KB a second of speech
SYNTHETIC = ".tts"
AUDIO_NAME_RE = re.compile(r"^(?P<slug>[a-z0-9-]+?)(?:\.key-(?P<key>[1-9]))?(?P<tts>\.tts)?$")
VIDEO_NAME_RE = re.compile(r"^(?P<slug>[a-z0-9-]+)\.sign$")


@dataclass(frozen=True)
class Recording:
    """One narration file: its path under media/, whether a computer voice made it, its size."""

    file: str
    synthetic: bool
    size: int


@dataclass(frozen=True)
class Narration:
    """A lesson's narration in one language: the whole lesson, and each key message."""

    lesson: Recording | None
    keys: tuple[Recording | None, ...]

    @property
    def synthetic(self) -> bool:
        """Return whether any of its recordings was made by a computer voice."""
        return any(r.synthetic for r in (self.lesson, *self.keys) if r is not None)

    @property
    def total_size(self) -> int:
        """Return the bytes of every recording together."""
        return sum(r.size for r in (self.lesson, *self.keys) if r is not None)


@dataclass(frozen=True)
class SignVideo:
    """A lesson in sign language, with its captions if any."""

    file: str
    captions: str | None


def find_recordings(
    root: Path, lessons: dict, locales, report, *, outdated: set[str] | None = None
) -> tuple[MappingProxyType, MappingProxyType]:
    """Return the narrations and sign videos of the pack at ``root``, by (slug, locale).

    ``lessons`` maps each slug to its number of key messages per locale
    ({slug: {locale: count}}); ``report(path, message)`` receives each warning.
    ``outdated`` names computer-voice files (locale/name) whose words the lesson
    no longer says: they are left out, so that nobody hears an older message.
    """
    outdated = outdated or set()
    media = root / "media"
    narrations: dict[tuple[str, str], Narration] = {}
    found: dict[tuple[str, str], dict] = {}
    for path in sorted((media / "audio").rglob("*")):
        depth = len(path.relative_to(media / "audio").parts)
        if path.is_file() and depth != 2 and not path.name.startswith("."):
            report(path, "not in a language's folder: put it in media/audio/<locale>/")
            continue
        if depth != 2:
            continue
        locale = path.parent.name
        where = _known(path, locale, locales, report)
        if where is None:
            continue
        stem, suffix = _split(path.name)
        match = AUDIO_NAME_RE.match(stem)
        if suffix.lower() in OTHER_AUDIO:
            report(
                path,
                f"a {suffix} file is left out: only MP3 is used, which every phone plays (old "
                "Android browsers cannot play Opus or Ogg). Convert it, e.g. "
                "lame -m m -b 24 IN.wav OUT.mp3",
            )
            continue
        if suffix.lower() not in PLAYABLE_AUDIO or match is None:
            report(path, "not a narration name: use <lesson>.mp3 or <lesson>.key-<n>.mp3")
            continue
        slug, key, synthetic = match["slug"], match["key"], bool(match["tts"])
        if slug not in lessons:
            report(path, f"no lesson '{slug}' in the pack")
            continue
        if locale not in lessons[slug]:
            report(
                path,
                f"there is no lesson.{locale}.md for '{slug}': this recording would never "
                "be played (the lesson is shown in another language)",
            )
            continue
        if f"{locale}/{path.name}" in outdated:
            report(
                path,
                f"the computer voice reads older words than lesson.{locale}.md: run "
                "'eore audio build' (it is left out until then)",
            )
            continue
        if key is not None and int(key) > lessons[slug].get(locale, 0):
            count = lessons[slug].get(locale, 0)
            report(path, f"the lesson has {count} key message(s) in {locale}, not {key}")
            continue
        kbps = mp3_kbps(path)
        if kbps is None:
            report(path, "not an MP3 file that phones can play")
            continue
        if kbps > MAX_AUDIO_KBPS:
            report(
                path,
                f"{kbps} kbit/s: more than speech needs ({MAX_AUDIO_KBPS}); phones on the box's "
                "Wi-Fi wait longer. Make it smaller, e.g. lame -m m -b 24 IN.mp3 OUT.mp3",
            )
        recording = Recording(path.relative_to(media).as_posix(), synthetic, path.stat().st_size)
        slot = found.setdefault((slug, locale), {})
        name = ("key", int(key)) if key else ("lesson", 0)
        # A person's recording always wins over a computer voice.
        if name not in slot or (slot[name].synthetic and not synthetic):
            slot[name] = recording
    for (slug, locale), slot in found.items():
        count = lessons[slug].get(locale, 0)
        narrations[(slug, locale)] = Narration(
            slot.get(("lesson", 0)), tuple(slot.get(("key", n)) for n in range(1, count + 1))
        )
    return MappingProxyType(narrations), MappingProxyType(
        _find_videos(media, lessons, locales, report)
    )


def _find_videos(media: Path, lessons: dict, locales, report) -> dict:
    videos = {}
    for path in sorted((media / "video").glob("*/*")):
        locale = path.parent.name
        if _known(path, locale, locales, report) is None:
            continue
        stem, suffix = _split(path.name)
        if suffix.lower() == CAPTIONS:
            if not (path.parent / f"{stem}.mp4").is_file():
                report(path, f"captions for a video that is not there ({stem}.mp4)")
            elif not path.read_bytes()[:16].lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
                report(path, "not a WebVTT file: the first line must be WEBVTT")
            continue
        match = VIDEO_NAME_RE.match(stem)
        if suffix.lower() not in VIDEO or match is None:
            report(path, "not a sign-language video name: use <lesson>.sign.mp4")
            continue
        if match["slug"] not in lessons:
            report(path, f"no lesson '{match['slug']}' in the pack")
            continue
        captions = path.with_suffix(CAPTIONS)
        vtt_ok = captions.is_file() and captions.read_bytes()[:16].lstrip(
            b"\xef\xbb\xbf"
        ).startswith(b"WEBVTT")
        videos[(match["slug"], locale)] = SignVideo(
            path.relative_to(media).as_posix(),
            captions.relative_to(media).as_posix() if vtt_ok else None,
        )
    return videos


def _known(path: Path, locale: str, locales, report) -> str | None:
    if not path.is_file():
        return None
    if locale not in locales:
        report(path, f"the folder '{locale}' is not a language of the pack")
        return None
    return locale


def _split(name: str) -> tuple[str, str]:
    stem, dot, suffix = name.rpartition(".")
    return (stem, f".{suffix}") if dot else (name, "")


# MPEG audio bit rates (kbit/s) by version group and layer III index.
_MPEG1_L3 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_L3 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)


def mp3_kbps(path: Path) -> int | None:
    """Return the bit rate of an MP3 file's first frame, or None if it is not MP3."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    start = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        size = head[6] << 21 | head[7] << 14 | head[8] << 7 | head[9]
        start = 10 + size
        if start + 4 > len(head):
            with path.open("rb") as handle:
                handle.seek(start)
                head, start = handle.read(4096), 0
    for offset in range(start, min(len(head) - 3, start + 4096)):
        if head[offset] != 0xFF or head[offset + 1] & 0xE0 != 0xE0:
            continue
        version = head[offset + 1] >> 3 & 0b11  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
        layer = head[offset + 1] >> 1 & 0b11  # 1: layer III
        index = head[offset + 2] >> 4
        if layer != 1 or version == 1 or index in (0, 15):
            continue
        table = _MPEG1_L3 if version == 3 else _MPEG2_L3
        return table[index]
    return None
