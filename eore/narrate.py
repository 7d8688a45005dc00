"""Draft narration of the lessons, made offline by a computer voice.

``eore audio build`` reads each lesson aloud with Debian's espeak-ng and
encodes the sound with lame as a small MP3, into the pack's
``media/audio/<locale>/`` under the names of recordings.py with ``.tts``:
``<slug>.tts.mp3`` (title, key messages, then the body) and
``<slug>.key-<n>.tts.mp3`` (each key message alone). A person's recording
of the same name is never replaced, and no computer voice is made beside it.

The words of each file are kept as a hash in ``media/audio/.tts-sources.json``
(a name the loader and the web server leave alone), so a file is made again
only when its words, its voice or the settings below change.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

import click
from markdown_it import MarkdownIt

from . import recordings
from .content import LessonText, Library, PackError, load_pack

SPEED = 150  # words a minute: espeak-ng's usual 175 is fast for a child or a second language
KBPS = 24  # mono MP3; speech stays clear, and well under the budget
BYTES_PER_SECOND = recordings.MAX_AUDIO_KBPS * 1000 // 8  # the budget: 4 KB a second of speech
# The MP3's first frame (its "Info" header) and the encoder's padding, whatever the length.
HEADER_ALLOWANCE = 512
SOURCES = ".tts-sources.json"  # in media/audio/, where no language folder is
INSTALL_ADVICE = "on Debian or Raspberry Pi OS, sudo apt install espeak-ng lame"
RUN_TIMEOUT = 600  # seconds for one file: a long lesson takes a few on a Raspberry Pi

SENTENCE_END = tuple(".!?;:…؟؛。")
HTML_TAG_RE = re.compile(r"</?[A-Za-z][^>]*>")


class NarrationError(Exception):
    """A narration could not be made; the message says why, in plain words."""


# Only the words of links are read, never their address, whatever it is.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
_markdown.validateLink = lambda url: True


def plain_text(markdown: str) -> str:
    """Return a lesson body as sentences to read aloud, one a line, without any mark-up."""
    sentences: list[str] = []
    number = ""  # the number of the list item whose first words come next
    row: list[str] = []
    in_row = False
    for token in _markdown.parse(markdown):
        if token.type == "list_item_open":
            number = token.info  # "" in a list with bullets
        elif token.type == "tr_open":
            row, in_row = [], True
        elif token.type == "tr_close":
            in_row = False
            if any(row):
                sentences.append(_sentence(", ".join(cell for cell in row if cell)))
        elif token.type == "inline":
            words = _words(token)
            if in_row:
                row.append(words)
                continue
            if number:
                words, number = f"{number}. {words}", ""
            if words:
                sentences.append(_sentence(words))
        elif token.type in ("fence", "code_block"):
            sentences.extend(_sentence(line.strip()) for line in token.content.splitlines() if line)
    return "\n".join(sentences)


def _words(inline) -> str:
    """Return the words of one line of Markdown: no marks, link addresses or pictures."""
    parts = []
    in_autolink = False
    for child in inline.children or ():
        if child.type == "link_open" and child.markup == "autolink":
            in_autolink = True  # its words are the address itself
        elif child.type == "link_close":
            in_autolink = False
        elif in_autolink:
            continue
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join(HTML_TAG_RE.sub("", "".join(parts)).split())


def _sentence(words: str) -> str:
    """Return ``words`` ending with a stop, so the voice pauses after them."""
    words = words.strip()
    return words if not words or words.endswith(SENTENCE_END) else f"{words}."


def lesson_speech(text: LessonText) -> str:
    """Return what the whole lesson's narration says: title, key messages, then the body."""
    spoken = [_sentence(text.title), *(_sentence(m) for m in text.key_messages)]
    return "\n".join([*spoken, plain_text(text.body)])


@dataclass(frozen=True)
class Engine:
    """The two programs that make narration: espeak-ng speaks, lame encodes MP3."""

    espeak: str
    lame: str
    voices: dict = field(default_factory=dict, compare=False)

    @classmethod
    def find(cls) -> Engine:
        """Return the installed engine, or raise NarrationError saying what to install."""
        found = {name: shutil.which(name) for name in ("espeak-ng", "lame")}
        for name, where in found.items():
            if where is None:
                raise NarrationError(f"{name} is not installed: {INSTALL_ADVICE}")
        return cls(found["espeak-ng"], found["lame"])

    def voice_for(self, locale: str) -> str | None:
        """Return espeak-ng's voice for a pack's language code (e.g. en -> en-gb), or None."""
        if locale not in self.voices:
            code = locale.lower()
            listing = self._run([self.espeak, f"--voices={code.split('-')[0]}"], "espeak-ng")
            self.voices[locale] = _choose_voice(listing.decode("utf-8", "replace"), code)
        return self.voices[locale]

    def speak(self, words: str, voice: str, target: Path) -> tuple[float, int]:
        """Write ``words`` read by ``voice`` as an MP3 at ``target``; return seconds and bytes."""
        with tempfile.TemporaryDirectory(prefix="eore-narration-") as work:
            text_file, sound = Path(work, "words.txt"), Path(work, "speech.wav")
            text_file.write_text(words, encoding="utf-8")
            self._run(
                [self.espeak, "-v", voice, "-s", str(SPEED), "-b", "1"]
                + ["-w", str(sound), "-f", str(text_file)],
                "espeak-ng",
            )
            seconds = wav_seconds(sound)
            if seconds <= 0:
                raise NarrationError(f"espeak-ng made no sound for {target.name}")
            # Beside the target, so that the final rename is atomic; hidden from the web server.
            temporary = target.with_name(f".{target.name}.part")
            try:
                self._run(
                    [self.lame, "--quiet", "-m", "m", "-b", str(KBPS), str(sound), str(temporary)],
                    "lame",
                )
                size = temporary.stat().st_size
                if size > BYTES_PER_SECOND * seconds + HEADER_ALLOWANCE:
                    raise NarrationError(
                        f"{target.name} would be {size / seconds / 1000:.1f} KB for each second "
                        f"of speech, more than the {BYTES_PER_SECOND // 1000} KB that phones on "
                        "the box's Wi-Fi can wait for: not kept. Is lame set up differently here?"
                    )
                os.replace(temporary, target)
            finally:
                temporary.unlink(missing_ok=True)
        return seconds, size

    @staticmethod
    def _run(args: list[str], name: str) -> bytes:
        try:
            done = subprocess.run(args, capture_output=True, timeout=RUN_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise NarrationError(f"{name} took more than {RUN_TIMEOUT} s and was stopped") from None
        except OSError as error:
            raise NarrationError(f"{name} could not be started: {error}") from None
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = said[-1] if said else f"exit code {done.returncode}"
            raise NarrationError(f"{name} failed: {reason}")
        return done.stdout


def _choose_voice(listing: str, code: str) -> str | None:
    """Return the best voice of ``espeak-ng --voices=LL``'s listing for ``code``, or None.

    MBROLA voices (files under mb/) are left out: they need other packages.
    The listing comes best first; a voice of the very language wins, then a
    regional one (fr -> fr-fr), then the language without its region (pt-br -> pt).
    """
    voices = []
    for line in listing.splitlines()[1:]:
        columns = line.split()
        if len(columns) >= 5 and not columns[4].startswith("mb/"):
            voices.append((columns[1].lower(), " ".join(columns[5:])))
    base = code.split("-")[0]
    for wanted in (
        lambda language, others: language == code,
        lambda language, others: language.startswith(f"{code}-") or f"({code} " in others,
        lambda language, others: language == base,
    ):
        for language, others in voices:
            if wanted(language, others):
                return language
    return None


def wav_seconds(path: Path) -> float:
    """Return how long the sound in a WAV file lasts."""
    with wave.open(str(path), "rb") as sound:
        return sound.getnframes() / sound.getframerate()


class Sources:
    """The hash of the words of each computer-voice file, so only changed words are read again."""

    def __init__(self, audio: Path):
        self.path = audio / SOURCES
        try:
            kept = json.loads(self.path.read_text(encoding="utf-8"))
            self.files = dict(kept["files"])
            self.words = dict(kept.get("words", {}))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.files, self.words = {}, {}  # none yet, or spoilt: every file is made again
        self._saved = (dict(self.files), dict(self.words))

    def save(self) -> None:
        """Write the hashes, atomically, if they changed."""
        self.words = {key: value for key, value in self.words.items() if key in self.files}
        if (self.files, self.words) == self._saved:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f"{self.path.name}.part")
        text = json.dumps(
            {"files": dict(sorted(self.files.items())), "words": dict(sorted(self.words.items()))},
            indent=1,
            ensure_ascii=False,
        )
        temporary.write_text(text + "\n", encoding="utf-8")
        os.replace(temporary, self.path)
        self._saved = (dict(self.files), dict(self.words))


def spoken_hash(words: str) -> str:
    """Return a hash of the words alone: the pack checks it without the voice engine."""
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def spoken_files(slug: str, text: LessonText) -> list[tuple]:
    """Return each computer-voice file of a lesson: what it reads ("lesson" or the key
    message's number), its name, the name a person's recording of it has, and its words."""
    files = [("lesson", f"{slug}.tts.mp3", f"{slug}.mp3", lesson_speech(text))]
    for number, message in enumerate(text.key_messages, start=1):
        files.append(
            (number, f"{slug}.key-{number}.tts.mp3", f"{slug}.key-{number}.mp3", _sentence(message))
        )
    return files


def outdated(audio: Path, texts: dict) -> set[str]:
    """Return the computer-voice files (locale/name) whose words the lesson no longer says.

    ``texts`` maps (slug, locale) to the lesson's text. A file made before its
    words were kept is not judged.
    """
    sources = Sources(audio)
    return {
        f"{locale}/{name}"
        for (slug, locale), text in texts.items()
        for _what, name, _human, words in spoken_files(slug, text)
        if sources.words.get(f"{locale}/{name}", spoken_hash(words)) != spoken_hash(words)
    }


def words_hash(words: str, voice: str) -> str:
    """Return a hash of what makes a file: its words, its voice, the speed and the bit rate."""
    made_of = json.dumps([words, voice, SPEED, KBPS], ensure_ascii=False)
    return hashlib.sha256(made_of.encode("utf-8")).hexdigest()


@dataclass
class Outcome:
    """What building one lesson in one language did."""

    made: list = field(default_factory=list)  # "lesson" or the number of a key message
    seconds: float = 0.0
    size: int = 0
    current: int = 0  # files already up to date
    kept: list = field(default_factory=list)  # names of people's recordings left alone
    removed: list = field(default_factory=list)  # (name, why) of old computer-voice files

    def line(self) -> str:
        """Return the progress line's text after the lesson's name."""
        parts = []
        if self.made:
            keys = [str(n) for n in self.made if n != "lesson"]
            if "lesson" in self.made:
                what = "lesson" + (f" + {_count(len(keys), 'key message')}" if keys else "")
            else:
                what = f"key message{'s' if len(keys) > 1 else ''} {', '.join(keys)}"
            kb = max(1, round(self.size / 1000))
            parts.append(f"{what} ({self.seconds:.1f} s of speech, {kb} KB)")
            if self.current:
                parts.append("the rest up to date")
        elif self.current:
            parts.append("up to date")
        parts += [
            f"{name} is a person's recording: kept, no computer voice made for it"
            for name in self.kept
        ]
        parts += [f"removed {name} ({why})" for name, why in self.removed]
        return "; ".join(parts) or "nothing to read"


def build_lesson(engine: Engine, folder: Path, sources: Sources, slug: str, text: LessonText):
    """Make the computer-voice files of one lesson in one language that are missing or stale."""
    locale = text.locale
    voice = engine.voice_for(locale)
    outcome = Outcome()
    for what, name, human, words in spoken_files(slug, text):
        key = f"{locale}/{name}"
        if (folder / human).exists():
            outcome.kept.append(human)
            if key in sources.files:  # made before the person's recording came
                (folder / name).unlink(missing_ok=True)
                del sources.files[key]
                outcome.removed.append((name, "a person's recording replaces it"))
            continue
        digest = words_hash(words, voice)
        sources.words[key] = spoken_hash(words)
        if sources.files.get(key) == digest and (folder / name).is_file():
            outcome.current += 1
            continue
        folder.mkdir(parents=True, exist_ok=True)
        seconds, size = engine.speak(words, voice, folder / name)
        sources.files[key] = digest
        outcome.made.append(what)
        outcome.seconds += seconds
        outcome.size += size
    # Key messages taken out of the lesson since: their old files would only draw warnings.
    for key in [k for k in sources.files if k.startswith(f"{locale}/")]:
        name = key.split("/", 1)[1]
        match = recordings.AUDIO_NAME_RE.match(name.removesuffix(".mp3"))
        if match and match["slug"] == slug and int(match["key"] or 0) > len(text.key_messages):
            (folder / name).unlink(missing_ok=True)
            del sources.files[key]
            outcome.removed.append((name, "the lesson has fewer key messages now"))
    return outcome


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def audio_coverage_lines(library: Library) -> list[str]:
    """Return the lines of ``eore check`` saying, per language, what people can listen to."""
    lines = ["Audio coverage:"]
    total = len(library.lessons)
    for code, seen in library.audio_coverage().items():
        voice = f" ({seen['synthetic']} computer voice)" if seen["synthetic"] else ""
        videos = seen["videos"]
        lines.append(
            f"  {code} {library.locales[code].name}: {seen['lessons']}/{total} lessons{voice}, "
            f"{seen['keys']}/{seen['key_total']} key messages, "
            f"{videos} sign-language video{'' if videos == 1 else 's'}"
        )
    return lines


@click.group("audio")
def audio_cli():
    """Narration of the lessons, for people who cannot read."""


@audio_cli.command("build")
@click.option("--locale", "locales", multiple=True, help="only this language (repeatable)")
@click.option(
    "--lesson", "slugs", multiple=True, help="only this lesson, by its folder name (repeatable)"
)
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def build_command(locales, slugs, path):
    """Read the lessons aloud with a computer voice, as drafts until a person records them."""
    from .settings import from_environment

    path = path or Path(from_environment()["CONTENT"])
    try:
        engine = Engine.find()
        library = load_pack(path)
    except NarrationError as error:
        _fail(str(error))
    except PackError as error:
        _fail(f"{error}\nFix these problems (eore check lists them too), then try again.")
    chosen_locales = _chosen(locales, list(library.locales), "language")
    chosen_slugs = _chosen(slugs, list(library.lessons), "lesson")
    audio = library.root / "media" / "audio"
    sources = Sources(audio)
    made = seconds = size = 0
    try:
        for code in chosen_locales:
            name = library.locales[code].name
            if engine.voice_for(code) is None:
                click.echo(
                    f"{code} {name}: skipped, espeak-ng has no voice for this language "
                    "(a person's recording is the way: see content/README.md)"
                )
                continue
            for slug in chosen_slugs:
                text = library.lessons[slug].texts.get(code)
                if text is None:
                    if slugs:  # asked for by name: say why nothing happens
                        click.echo(f"{code} {slug}: no text in {name} to read")
                    continue
                outcome = build_lesson(engine, audio / code, sources, slug, text)
                sources.save()
                click.echo(f"{code} {slug}: {outcome.line()}")
                made += len(outcome.made)
                seconds += outcome.seconds
                size += outcome.size
    except NarrationError as error:
        sources.save()
        _fail(f"Stopped: {error}.")
    except OSError as error:
        _fail(f"Stopped: cannot write the narration into {audio} ({error}).")
    click.echo(
        f"Made {_count(made, 'file')}: {seconds:.1f} s of speech, {round(size / 1000)} KB."
        if made
        else "No file made."
    )
    if made:
        click.echo(
            "A running server plays the new files once it is started again "
            "(on a Pi: sudo systemctl restart eore)."
        )
    try:
        library = load_pack(path)
    except PackError as error:
        _fail(str(error))
    for line in audio_coverage_lines(library):
        click.echo(line)


def _chosen(asked: tuple[str, ...], known: list[str], what: str) -> list[str]:
    """Return the asked names in the pack's order (all when none asked); exit on an unknown one."""
    unknown = [name for name in asked if name not in known]
    if unknown:
        _fail(f"Unknown {what} {', '.join(unknown)}: the pack has {', '.join(known)}.")
    return [name for name in known if name in asked] if asked else known


def _fail(message: str):
    click.echo(message, err=True)
    sys.exit(1)
