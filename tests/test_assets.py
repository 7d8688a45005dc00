"""Versioned static and media files: built once, and not read again while unchanged."""

from __future__ import annotations

import os

from eore import assets


def test_unchanged_files_are_not_read_again_at_the_next_start(tmp_path, monkeypatch):
    source, target = tmp_path / "media", tmp_path / "built" / "media"
    (source / "audio").mkdir(parents=True)
    (source / "audio" / "a.mp3").write_bytes(b"\xff\xf3" + bytes(3000))
    (source / "sign.svg").write_text("<svg/>")
    first = assets.build_folder(source, target)
    read = []
    real = assets.versioned_name
    monkeypatch.setattr(assets, "versioned_name", lambda r, c: read.append(r) or real(r, c))
    assert assets.build_folder(source, target) == first
    assert read == []
    assert (target / (first["sign.svg"] + ".gz")).is_file()
    # A file changed since is read again and gets a new name; the old copy goes.
    (source / "audio" / "a.mp3").write_bytes(b"\xff\xf3" + bytes(4000))
    second = assets.build_folder(source, target)
    assert read == ["audio/a.mp3"] and second["audio/a.mp3"] != first["audio/a.mp3"]
    assert not (target / first["audio/a.mp3"]).exists()
    # A built copy deleted by hand is made again.
    (target / second["sign.svg"]).unlink()
    assets.build_folder(source, target)
    assert (target / second["sign.svg"]).is_file()


def test_the_record_of_built_files_is_never_served(tmp_path):
    source, target = tmp_path / "static", tmp_path / "public" / "static"
    source.mkdir()
    (source / "eore.css").write_text("body{}")
    assets.build_folder(source, target)
    assert not [p for p in target.rglob("*") if "built" in p.name]
    assert (target.parent / ".static.built.json").is_file()


def test_a_touched_file_with_the_same_size_is_read_again(tmp_path):
    source, target = tmp_path / "media", tmp_path / "built"
    source.mkdir()
    (source / "x.svg").write_text("<svg>1</svg>")
    first = assets.build_folder(source, target)
    (source / "x.svg").write_text("<svg>2</svg>")
    stat = (source / "x.svg").stat()
    os.utime(source / "x.svg", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert assets.build_folder(source, target)["x.svg"] != first["x.svg"]
