"""For people who cannot read: narration, the picture-first view, larger text and contrast."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import STARTER_PACK

from eore import create_app
from eore.recordings import mp3_kbps

LESSON = "if-you-find-one"


def fake_mp3(kbps: int = 24, frames: int = 40) -> bytes:
    """Return MPEG-2 layer III frames (16 kHz, mono) at ``kbps``: enough for the pack's checks."""
    index = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160).index(kbps)
    header = bytes([0xFF, 0xF3, index << 4 | 0b1000, 0xC4])
    size = 72 * kbps * 1000 // 16000
    return (header + bytes(size - 4)) * frames


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """The starter pack with narration of one lesson: English by a person and a computer
    voice, Arabic by a computer voice only, and an English sign-language video."""
    root = tmp_path_factory.mktemp("listen") / "pack"
    shutil.copytree(STARTER_PACK, root)
    shutil.rmtree(root / "media" / "audio", ignore_errors=True)  # only this test's recordings
    audio = root / "media" / "audio"
    for locale, names in {
        "en": [f"{LESSON}.mp3", f"{LESSON}.tts.mp3", f"{LESSON}.key-1.tts.mp3"]
        + [f"{LESSON}.key-{n}.mp3" for n in (1, 2, 3)],
        "ar": [f"{LESSON}.tts.mp3"] + [f"{LESSON}.key-{n}.tts.mp3" for n in range(1, 6)],
    }.items():
        (audio / locale).mkdir(parents=True)
        for name in names:
            (audio / locale / name).write_bytes(fake_mp3())
    video = root / "media" / "video" / "en"
    video.mkdir(parents=True)
    (video / f"{LESSON}.sign.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    (video / f"{LESSON}.sign.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:02.000\nStop.\n")
    return root


@pytest.fixture(scope="module")
def listen_app(pack, tmp_path_factory):
    return create_app(
        {
            "TESTING": True,
            "CONTENT": str(pack),
            "DATA": str(tmp_path_factory.mktemp("listen-data")),
        }
    )


@pytest.fixture
def client(listen_app):
    return listen_app.test_client()


def players(html: str) -> list[str]:
    return re.findall(r"<audio [^>]*>", html)


def test_the_lesson_page_has_a_lazy_player_for_the_lesson_and_each_message(client):
    html = client.get(f"/en/lessons/{LESSON}").get_data(as_text=True)
    found = players(html)
    assert len(found) == 4  # the whole lesson, and the three key messages recorded
    assert all('controls preload="none"' in tag for tag in found)
    # A person's recording wins over a computer voice of the same name.
    assert f"/media/audio/en/{LESSON}." in found[0] and ".tts." not in found[0]
    assert all(".tts." not in tag for tag in found)
    assert "computer voice" not in html.split('class="body"')[0]
    # Each message's player sits in its message's item, labelled for a screen reader.
    items = re.findall(r"<li>(.*?)</li>", html.split('class="key-messages"')[1], re.S)[:5]
    assert [bool(players(item)) for item in items] == [True, True, True, False, False]
    assert 'aria-label="Listen to this message"' in items[0]


def test_computer_voices_are_marked_on_the_page(client):
    html = client.get(f"/ar/lessons/{LESSON}").get_data(as_text=True)
    found = players(html)
    assert len(found) == 6 and all(".tts." in tag for tag in found)
    assert 'class="synthetic"' in html


def test_a_lesson_without_recordings_has_no_player(client):
    html = client.get("/en/lessons/farming").get_data(as_text=True)
    assert players(html) == [] and "<video" not in html
    assert "sound=with" not in html


def test_a_sign_language_video_is_lazy_and_has_its_captions(client):
    html = client.get(f"/en/lessons/{LESSON}").get_data(as_text=True)
    video = re.search(r"<video [^>]*>.*?</video>", html, re.S).group(0)
    assert 'preload="none"' in video and "controls" in video
    assert re.search(r'<track kind="captions" src="/media/video/en/[^"]+\.vtt" srclang="en"', video)
    assert "<video" not in client.get(f"/ar/lessons/{LESSON}").get_data(as_text=True)


def test_recordings_are_served_with_byte_ranges(client):
    html = client.get(f"/en/lessons/{LESSON}").get_data(as_text=True)
    src = re.search(r'<audio [^>]*src="([^"]+)"', html).group(1)
    response = client.get(src, headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and len(response.data) == 100
    assert response.headers["Content-Type"] == "audio/mpeg"


@pytest.mark.parametrize("locale, direction", [("en", "ltr"), ("ar", "rtl")])
def test_the_picture_view_steps_through_each_message(client, locale, direction):
    base = f"/{locale}/lessons/{LESSON}/pictures"
    start = client.get(base).get_data(as_text=True)
    assert f'dir="{direction}"' in start and "<h1>" in start
    assert len(players(start)) == 1  # the whole lesson
    assert f'href="{base}/1"' in start and 'rel="prev"' not in start
    pictures = []
    for step in range(1, 6):
        html = client.get(f"{base}/{step}").get_data(as_text=True)
        assert f'<span dir="ltr" aria-hidden="true">{step} / 5</span>' in html
        assert f'rel="prev" href="{base}' in html and f'rel="next" href="{base}/{step + 1}"' in html
        assert re.search(r'<h1 class="big-message">[^<]+</h1>', html)
        pictures.append(re.search(r'<figure class="big-picture">\s*<img src="([^"]+)"', html)[1])
    # The pack's message_pictures: stop, back, stop, report, stop.
    names = [re.search(r"/media/([a-z-]+)\.", src)[1] for src in pictures]
    assert names == ["stop-hand", "footsteps-back", "stop-hand", "report", "stop-hand"]
    end = client.get(f"{base}/6").get_data(as_text=True)
    assert f'href="/{locale}/lessons/{LESSON}/quiz"' in end and 'rel="next"' not in end
    # Every lesson ends with how to report, the picture view too.
    assert 'aria-labelledby="how-to-report"' in end
    assert client.get(f"{base}/7").status_code == 404
    assert client.get(f"/{locale}/lessons/nothing/pictures").status_code == 404


def test_each_message_screen_plays_its_own_recording(client):
    html = client.get(f"/ar/lessons/{LESSON}/pictures/2").get_data(as_text=True)
    (player,) = players(html)
    assert f"{LESSON}.key-2.tts." in player and 'preload="none"' in player
    assert 'class="synthetic"' in html
    assert players(client.get(f"/en/lessons/{LESSON}/pictures/4").get_data(as_text=True)) == []


def test_the_lesson_links_to_its_picture_view(client):
    html = client.get(f"/ar/lessons/{LESSON}").get_data(as_text=True)
    assert f'href="/ar/lessons/{LESSON}/pictures"' in html


def test_a_message_picture_that_is_not_an_illustration_is_refused(make_pack, run_eore):
    root = make_pack()
    yaml = root / "lessons" / "first-steps" / "lesson.yaml"
    yaml.write_text(yaml.read_text() + "message_pictures: [sign, nothing]\n")
    result = run_eore("check", str(root))
    assert result.exit_code == 1
    assert re.search(
        r"lessons/first-steps/lesson.yaml:\d+: error: message_pictures: 'nothing'", result.output
    )


def test_message_pictures_of_another_length_are_reported(make_pack, run_eore):
    root = make_pack()
    yaml = root / "lessons" / "first-steps" / "lesson.yaml"
    yaml.write_text(yaml.read_text() + "message_pictures: [sign, sign]\n")
    result = run_eore("check", str(root))
    assert result.exit_code == 0
    assert "warning: message_pictures has 2 picture(s) for 1 key message(s)" in result.output


def test_the_saved_lesson_may_carry_its_key_messages_sound(client):
    plain = client.get(f"/ar/lessons/{LESSON}/download")
    assert "<audio" not in plain.get_data(as_text=True)
    assert "media-src" not in plain.get_data(as_text=True)
    with_sound = client.get(f"/ar/lessons/{LESSON}/download?sound=with")
    html = with_sound.get_data(as_text=True)
    assert with_sound.status_code == 200
    assert "sound.html" in with_sound.headers["Content-Disposition"]
    sounds = re.findall(r'<audio [^>]*src="data:audio/mpeg;base64,[A-Za-z0-9+/=]+"', html)
    assert len(sounds) == 5  # the key messages; the whole lesson stays on the box
    assert "media-src data:" in html and "/media/" not in html
    assert len(html) > len(plain.get_data(as_text=True)) + 5 * len(fake_mp3())
    page = client.get(f"/ar/lessons/{LESSON}").get_data(as_text=True)
    assert f'href="/ar/lessons/{LESSON}/download?sound=with"' in page


@pytest.mark.parametrize("query", ["sound=with", "sound=yes"])
def test_sound_is_offered_only_where_there_is_some(client, query):
    assert client.get(f"/en/lessons/farming/download?{query}").status_code == 404


def test_text_size_and_contrast_are_kept_in_a_cookie(client):
    before = client.get("/en/lessons/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in before
    response = client.get("/display?text=larger&contrast=high&next=/en/lessons/")
    assert response.status_code == 303 and response.location == "/en/lessons/"
    after = client.get("/en/lessons/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr" class="text-larger contrast-high">' in after
    # Kept on every page, and each page says which is chosen.
    other = client.get(f"/ar/lessons/{LESSON}/pictures/1").get_data(as_text=True)
    assert 'class="text-larger contrast-high"' in other
    assert re.search(r'class="size-larger"[^>]*aria-current="true"', other)
    # A page kept for everyone is not shown with another visitor's choice.
    assert 'class="text-larger' not in create_client_without_cookie(client)


def create_client_without_cookie(client) -> str:
    return client.application.test_client().get("/en/lessons/").get_data(as_text=True)


def test_one_choice_keeps_the_other(client):
    client.get("/display?contrast=high&next=/en/")
    client.get("/display?text=large&next=/en/")
    assert 'class="text-large contrast-high"' in client.get("/en/").get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "//example.com/",
        "http://example.com/",
        "/\\example.com",
        "javascript:alert(1)",
        "/\t/example.com/",
        "/\r\n/x",
    ],
)
def test_the_display_link_goes_back_only_to_this_box(client, target):
    response = client.get("/display", query_string={"text": "large", "next": target})
    assert response.status_code == 303 and response.location == "/"


def test_an_unknown_display_choice_changes_nothing(client):
    client.get("/display?text=large&next=/en/")
    client.get("/display?text=huge&contrast=neon&next=/en/")
    assert 'class="text-large"' in client.get("/en/").get_data(as_text=True)


def test_mp3_bit_rate_is_read_from_the_first_frame(tmp_path):
    path = tmp_path / "a.mp3"
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x0a" + bytes(10) + fake_mp3(128))
    assert mp3_kbps(path) == 128
    path.write_bytes(b"not an mp3 at all" * 10)
    assert mp3_kbps(path) is None


def test_the_display_links_carry_only_the_query_values_the_box_knows(client):
    html = client.get("/en/lessons/?audience=children&next=//evil.example/").get_data(as_text=True)
    links = re.findall(r'href="(/display\?[^"]+)"', html)
    assert len(links) == 5
    assert all("next=/en/lessons/?audience%3Dchildren" in link for link in links)
    assert "evil.example" not in html


def test_the_file_with_sound_carries_no_video_and_says_it_has_sound(client):
    response = client.get(f"/en/lessons/{LESSON}/download?sound=with")
    html = response.get_data(as_text=True)
    assert "<video" not in html and "data:audio/mpeg" in html
    assert "%28with%20sound%29.html" in response.headers["Content-Disposition"]


def test_a_strangers_cookie_cannot_fill_the_page_cache(listen_app):
    cache = listen_app.extensions["eore"]["pages"]
    for number in range(20):
        client = listen_app.test_client()
        client.set_cookie("eore_display", f"junk{number} x")
        client.get("/en/lessons/farming")
    kept = [key for key in cache._pages if key[1] == "/en/lessons/farming?"]
    assert len(kept) == 1


def test_a_lesson_without_sound_offers_pictures_only(client):
    html = client.get("/en/lessons/farming").get_data(as_text=True)
    assert "Pictures, one message at a time" in html and "Pictures and sound" not in html


def add_recording(root, locale: str, name: str) -> None:
    folder = root / "media" / "audio" / locale
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(fake_mp3())


def test_a_computer_voice_that_reads_older_words_is_left_out(make_pack, run_eore, tmp_path):
    import json

    from eore.narrate import spoken_hash

    root = make_pack()
    add_recording(root, "en", "first-steps.key-1.tts.mp3")
    sources = {
        "files": {"en/first-steps.key-1.tts.mp3": "made-with-some-voice"},
        "words": {"en/first-steps.key-1.tts.mp3": spoken_hash("Stop and do not touch it.")},
    }
    (root / "media" / "audio" / ".tts-sources.json").write_text(json.dumps(sources))
    result = run_eore("check", str(root))
    assert "first-steps.key-1.tts.mp3: warning: the computer voice reads older words" in (
        result.output
    )
    assert "en English: 0/2 lessons, 0/2 key messages" in result.output
    app = create_app({"TESTING": True, "CONTENT": str(root), "DATA": str(tmp_path / "d")})
    assert players(app.test_client().get("/en/lessons/first-steps").get_data(as_text=True)) == []
    # The words the lesson says now: the recording is played.
    sources["words"]["en/first-steps.key-1.tts.mp3"] = spoken_hash("Stop and do not touch.")
    (root / "media" / "audio" / ".tts-sources.json").write_text(json.dumps(sources))
    assert "en English: 0/2 lessons (1 computer voice), 1/2 key messages" in (
        run_eore("check", str(root)).output
    )


def test_recordings_that_would_never_play_are_reported(make_pack, run_eore):
    root = make_pack()
    add_recording(root, "ar", "signs.mp3")  # signs has no Arabic text
    add_recording(root, "en", "../first-steps.mp3")  # directly in media/audio/
    nested = root / "media" / "audio" / "en" / "old"
    nested.mkdir(parents=True)
    (nested / "first-steps.mp3").write_bytes(fake_mp3())
    output = run_eore("check", str(root)).output
    assert "media/audio/ar/signs.mp3: warning: there is no lesson.ar.md for 'signs'" in output
    assert "media/audio/first-steps.mp3: warning: not in a language's folder" in output
    assert "media/audio/en/old/first-steps.mp3: warning: not in a language's folder" in output
    assert "ar العربية: 0/2 lessons" in output
