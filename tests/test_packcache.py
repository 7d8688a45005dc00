"""The loaded pack is kept between starts, and any change to a pack file means a fresh load."""

from eore.content import load_pack
from eore.packcache import load_cached


def counting_loader(calls):
    def load(root):
        calls.append(root)
        return load_pack(root)

    return load


def test_second_start_uses_the_kept_pack(make_pack, tmp_path):
    root, cache, calls = make_pack(), tmp_path / "library.pickle", []
    first = load_cached(root, cache, counting_loader(calls))
    second = load_cached(root, cache, counting_loader(calls))
    assert len(calls) == 1
    assert second == first
    assert (
        second.lessons["first-steps"].texts["ar"].title
        == first.lessons["first-steps"].texts["ar"].title
    )
    assert second.quizzes["first-steps"].questions[0].texts["en"].options["stop"] == "Stop"


def test_a_changed_pack_file_is_loaded_afresh(make_pack, tmp_path):
    root, cache, calls = make_pack(), tmp_path / "library.pickle", []
    load_cached(root, cache, counting_loader(calls))
    quiz = root / "lessons" / "first-steps" / "quiz.en.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("Kick it", "Kick it hard"), "utf-8")
    library = load_cached(root, cache, counting_loader(calls))
    assert len(calls) == 2
    assert library.quizzes["first-steps"].questions[0].texts["en"].options["kick"] == "Kick it hard"


def test_a_damaged_cache_is_ignored(make_pack, tmp_path):
    root, cache, calls = make_pack(), tmp_path / "library.pickle", []
    cache.write_bytes(b"half a file")
    library = load_cached(root, cache, counting_loader(calls))
    assert len(calls) == 1 and "first-steps" in library.lessons
    assert load_cached(root, cache, counting_loader(calls)) == library
    assert len(calls) == 1
