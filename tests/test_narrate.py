"""eore audio build: draft narration by a computer voice; audio coverage in eore check."""

import math
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest

from eore import narrate
from eore.content import load_pack
from eore.recordings import mp3_kbps

LESSON_WITH_TWO_KEYS = """---
title: First steps
summary: The first lesson of the test pack.
objectives:
  - Know the first rule.
key_messages:
  - Stop and do not touch.
  - {second}
alt:
  sign: A red triangle
---
## Stop

Do not touch.
"""
INSTALL = "sudo apt install espeak-ng lame"


@pytest.fixture
def engine():
    """Fail (never skip) when the programs that make narration are missing."""
    missing = [name for name in ("espeak-ng", "lame") if shutil.which(name) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not installed: scripts/test.sh installs them")


def build(run_eore, pack: Path, *args: str):
    """Run eore audio build on ``pack`` and return click's result."""
    return run_eore("audio", "build", *args, str(pack))


def seconds_of(mp3: Path, tmp_path: Path) -> float:
    """Return how long an MP3 lasts, by decoding it back to WAV."""
    decoded = tmp_path / f"{mp3.name}.wav"
    subprocess.run(["lame", "--quiet", "--decode", str(mp3), str(decoded)], check=True)
    return narrate.wav_seconds(decoded)


def make_mp3(path: Path, kbps: int, tmp_path: Path) -> bytes:
    """Write one second of a tone as an MP3 of ``kbps``, as a person's recording; return it."""
    tone = tmp_path / "tone.wav"
    with wave.open(str(tone), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(22050)
        sound.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / 22050)))
                for n in range(22050)
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["lame", "--quiet", "-m", "m", "-b", str(kbps), str(tone), str(path)], check=True
    )
    return path.read_bytes()


def snapshot(folder: Path) -> dict:
    """Return each file of ``folder`` with its bytes and time of change."""
    return {
        path.name: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.iterdir())
        if path.is_file()
    }


def test_markdown_is_read_as_plain_sentences():
    body = (
        "## Stop\n\n"
        "1. **Stop.** Do not\n   go closer.\n"
        "2. Go back, see [the report lesson](/en/lessons/how-to-report).\n\n"
        "- Warn *others*\n\n"
        "| Sign | Meaning |\n|---|---|\n| Red | Danger |\n\n"
        "Ask for help <https://example.org> ![sign](media/sign.svg) <b>now</b>\n"
    )
    assert narrate.plain_text(body) == (
        "Stop.\n"
        "1. Stop. Do not go closer.\n"
        "2. Go back, see the report lesson.\n"
        "Warn others.\n"
        "Sign, Meaning.\n"
        "Red, Danger.\n"
        "Ask for help now."
    )


def test_the_whole_lesson_says_title_then_key_messages_then_body(make_pack):
    text = load_pack(make_pack()).lessons["first-steps"].texts["en"]
    assert narrate.lesson_speech(text) == (
        "First steps.\nStop and do not touch.\nStop.\nDo not touch. raw html bad link."
    )


LISTING = """Pty Language       Age/Gender VoiceName          File                 Other Languages
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 9  en              --/F      en-german-1        mb/mb-de1-en
 5  fr-fr           --/M      French_(France)    roa/fr               (fr 5)
 1  ar              --/M      arabic-mbrola-1    mb/mb-ar1
 5  ar              --/M      Arabic             sem/ar
 5  pt              --/M      Portuguese_(Portugal) roa/pt
"""


@pytest.mark.parametrize(
    "code, voice",
    [("en", "en-gb"), ("fr", "fr-fr"), ("ar", "ar"), ("pt-br", "pt"), ("ps", None)],
)
def test_a_pack_language_gets_an_espeak_voice_without_mbrola(code, voice):
    assert narrate._choose_voice(LISTING, code) == voice


def test_build_writes_small_mp3s_marked_synthetic(engine, make_pack, run_eore, tmp_path):
    pack = make_pack()
    result = build(run_eore, pack, "--locale", "en", "--locale", "ar", "--lesson", "first-steps")
    assert result.exit_code == 0, result.output
    for code in ("en", "ar"):
        assert f"{code} first-steps: lesson + 1 key message (" in result.output
        folder = pack / "media" / "audio" / code
        # Only the finished files: no temporary file is left behind.
        assert sorted(p.name for p in folder.iterdir()) == [
            "first-steps.key-1.tts.mp3",
            "first-steps.tts.mp3",
        ]
        for mp3 in folder.iterdir():
            assert mp3_kbps(mp3) == 24
            seconds = seconds_of(mp3, tmp_path)
            assert seconds > 0.5
            assert mp3.stat().st_size / seconds <= 4000, mp3.name
    assert "Audio coverage:" in result.output
    assert "  ar العربية: 1/2 lessons (1 computer voice), 1/1 key messages" in result.output
    library = load_pack(pack)
    for code in ("en", "ar"):
        narration = library.narrations[("first-steps", code)]
        assert narration.lesson.file == f"audio/{code}/first-steps.tts.mp3"
        assert narration.lesson.synthetic and narration.keys[0].synthetic
    assert ("signs", "en") not in library.narrations  # not asked for
    # The file of hashes draws no warning from the loader.
    assert not [p for p in library.problems if p.file.startswith("media/audio")]


def test_a_second_run_with_the_same_words_does_nothing(engine, make_pack, run_eore):
    pack = make_pack()
    assert build(run_eore, pack, "--lesson", "first-steps").exit_code == 0
    before = {code: snapshot(pack / "media" / "audio" / code) for code in ("en", "ar")}
    again = build(run_eore, pack, "--lesson", "first-steps")
    assert again.exit_code == 0, again.output
    assert "en first-steps: up to date" in again.output
    assert "ar first-steps: up to date" in again.output
    assert "No file made." in again.output
    assert {code: snapshot(pack / "media" / "audio" / code) for code in ("en", "ar")} == before


def test_a_changed_key_message_makes_again_only_what_says_it(engine, make_pack, run_eore):
    text = "lessons/first-steps/lesson.en.md"
    pack = make_pack({text: LESSON_WITH_TWO_KEYS.format(second="Go back the way you came.")})
    assert build(run_eore, pack, "--lesson", "first-steps").exit_code == 0
    english, arabic = pack / "media" / "audio" / "en", pack / "media" / "audio" / "ar"
    before, arabic_before = snapshot(english), snapshot(arabic)
    (pack / text).write_text(
        LESSON_WITH_TWO_KEYS.format(second="Go back the way you came, slowly."), encoding="utf-8"
    )
    result = build(run_eore, pack, "--lesson", "first-steps")
    assert result.exit_code == 0, result.output
    assert "en first-steps: lesson + 1 key message (" in result.output
    assert "the rest up to date" in result.output
    after = snapshot(english)
    assert after["first-steps.key-1.tts.mp3"] == before["first-steps.key-1.tts.mp3"]
    assert after["first-steps.key-2.tts.mp3"] != before["first-steps.key-2.tts.mp3"]
    # The whole lesson reads its key messages too.
    assert after["first-steps.tts.mp3"] != before["first-steps.tts.mp3"]
    assert snapshot(arabic) == arabic_before


def test_a_key_message_taken_out_takes_its_file_away(engine, make_pack, run_eore):
    text = "lessons/first-steps/lesson.en.md"
    pack = make_pack({text: LESSON_WITH_TWO_KEYS.format(second="Go back the way you came.")})
    assert build(run_eore, pack, "--locale", "en").exit_code == 0
    (pack / text).write_text(LESSON_WITH_TWO_KEYS.replace("  - {second}\n", ""), encoding="utf-8")
    result = build(run_eore, pack, "--locale", "en")
    assert result.exit_code == 0, result.output
    assert "removed first-steps.key-2.tts.mp3" in result.output
    assert not (pack / "media" / "audio" / "en" / "first-steps.key-2.tts.mp3").exists()
    assert not [p for p in load_pack(pack).problems if p.file.startswith("media/")]


def test_a_persons_recording_is_never_replaced(engine, make_pack, run_eore, tmp_path):
    pack = make_pack()
    folder = pack / "media" / "audio" / "en"
    human = make_mp3(folder / "first-steps.key-1.mp3", 24, tmp_path)
    result = build(run_eore, pack, "--locale", "en", "--lesson", "first-steps")
    assert result.exit_code == 0, result.output
    assert "first-steps.key-1.mp3 is a person's recording: kept" in result.output
    assert (folder / "first-steps.key-1.mp3").read_bytes() == human
    assert not (folder / "first-steps.key-1.tts.mp3").exists()
    assert (folder / "first-steps.tts.mp3").exists()
    narration = load_pack(pack).narrations[("first-steps", "en")]
    assert not narration.keys[0].synthetic


def test_a_persons_recording_made_later_replaces_the_computer_voice(
    engine, make_pack, run_eore, tmp_path
):
    pack = make_pack()
    folder = pack / "media" / "audio" / "en"
    assert build(run_eore, pack, "--locale", "en").exit_code == 0
    human = make_mp3(folder / "first-steps.mp3", 24, tmp_path)
    result = build(run_eore, pack, "--locale", "en")
    assert result.exit_code == 0, result.output
    assert "removed first-steps.tts.mp3 (a person's recording replaces it)" in result.output
    assert (folder / "first-steps.mp3").read_bytes() == human
    assert not (folder / "first-steps.tts.mp3").exists()
    assert (folder / "first-steps.key-1.tts.mp3").exists()


@pytest.mark.parametrize("missing", ["espeak-ng", "lame"])
def test_a_missing_engine_is_explained(engine, make_pack, run_eore, tmp_path, missing):
    programs = tmp_path / "bin"
    programs.mkdir()
    for name in {"espeak-ng", "lame"} - {missing}:
        (programs / name).symlink_to(shutil.which(name))
    pack = make_pack()
    result = run_eore("audio", "build", str(pack), env={"PATH": str(programs)})
    assert result.exit_code == 1
    assert f"{missing} is not installed: on Debian or Raspberry Pi OS, {INSTALL}" in result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert not (pack / "media" / "audio").exists()


def test_a_language_without_a_voice_is_skipped_by_name(engine, make_pack, run_eore, monkeypatch):
    real = narrate.Engine.voice_for
    monkeypatch.setattr(
        narrate.Engine, "voice_for", lambda self, code: None if code == "ar" else real(self, code)
    )
    pack = make_pack()
    result = build(run_eore, pack)
    assert result.exit_code == 0, result.output
    assert "ar العربية: skipped, espeak-ng has no voice for this language" in result.output
    assert "en first-steps: lesson + 1 key message" in result.output
    assert not (pack / "media" / "audio" / "ar").exists()


def test_narration_over_the_budget_is_refused_loudly(engine, make_pack, run_eore, monkeypatch):
    pack = make_pack()
    folder = pack / "media" / "audio" / "en"
    assert build(run_eore, pack, "--locale", "en", "--lesson", "first-steps").exit_code == 0
    before = snapshot(folder)
    monkeypatch.setattr(narrate, "KBPS", 64)  # 8 KB a second: twice the budget
    result = build(run_eore, pack, "--locale", "en", "--lesson", "first-steps")
    assert result.exit_code == 1
    assert "Stopped: first-steps.tts.mp3 would be" in result.output
    assert "more than the 4 KB" in result.output
    # The earlier files stay whole, and no half-made file is left beside them.
    assert snapshot(folder) == before
    monkeypatch.setattr(narrate, "KBPS", 24)
    again = build(run_eore, pack, "--locale", "en", "--lesson", "first-steps")
    assert "en first-steps: up to date" in again.output


def test_an_unknown_language_or_lesson_is_refused(engine, make_pack, run_eore):
    pack = make_pack()
    result = build(run_eore, pack, "--locale", "ps")
    assert result.exit_code == 1
    assert "Unknown language ps: the pack has en, ar." in result.output
    result = build(run_eore, pack, "--lesson", "nowhere")
    assert result.exit_code == 1
    assert "Unknown lesson nowhere" in result.output


def test_check_shows_audio_coverage_and_warns_about_files(engine, make_pack, run_eore, tmp_path):
    pack = make_pack()
    audio = pack / "media" / "audio"
    (audio / "en").mkdir(parents=True)
    (audio / "en" / "first-steps.ogg").write_bytes(b"OggS" + bytes(100))
    make_mp3(audio / "en" / "first-steps.key-1.mp3", 128, tmp_path)
    make_mp3(audio / "en" / "no-such-lesson.mp3", 24, tmp_path)
    make_mp3(audio / "ar" / "first-steps.mp3", 24, tmp_path)
    video = pack / "media" / "video" / "en"
    video.mkdir(parents=True)
    (video / "signs.sign.mp4").write_bytes(bytes(100))
    (video / "signs.sign.vtt").write_text("WEBVTT\n", encoding="utf-8")
    result = run_eore("check", str(pack))
    assert result.exit_code == 0, result.output
    output = result.output
    assert "media/audio/en/first-steps.ogg: warning: a .ogg file is left out" in output
    assert "media/audio/en/first-steps.key-1.mp3: warning: 128 kbit/s" in output
    assert "media/audio/en/no-such-lesson.mp3: warning: no lesson 'no-such-lesson'" in output
    assert output.index("Translation coverage:") < output.index("Audio coverage:")
    assert (
        "Audio coverage:\n"
        "  en English: 0/2 lessons, 1/2 key messages, 1 sign-language video\n"
        "  ar العربية: 1/2 lessons, 0/1 key messages, 0 sign-language videos\n"
    ) in output
