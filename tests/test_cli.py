"""The eore command, through click's CliRunner (and once through flask --app)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from eore.settings import PROJECT_ROOT

PACKS = Path(__file__).parent / "packs"


def test_check_on_the_starter_pack_passes_with_coverage(run_eore):
    result = run_eore("check", str(PROJECT_ROOT / "content"))
    assert result.exit_code == 0, result.output
    assert "Translation coverage:" in result.output
    assert "the pack is usable" in result.output
    for code in ("en", "ar", "uk", "es", "fr"):
        assert f"\n  {code} " in result.output


def test_check_defaults_to_the_content_setting(run_eore):
    result = run_eore("check", env={"EORE_CONTENT": str(PACKS / "good")})
    assert result.exit_code == 0
    assert "Test pack 1.0: 2 lesson(s)" in result.output
    assert "ar العربية: 1/2 lessons, 1/1 quizzes, 1/2 teacher guides (draft)" in result.output
    assert "1 with a quiz (3 questions), 1 knowledge test(s)" in result.output


def test_check_on_a_broken_header_prints_file_and_line_and_fails(run_eore):
    result = run_eore("check", str(PACKS / "broken-header"))
    assert result.exit_code == 1
    assert "lessons/oops/lesson.en.md:5: error: YAML syntax" in result.output
    assert "the pack cannot be used" in result.output
    assert isinstance(result.exception, SystemExit), "a clean exit, not a crash"


def test_check_on_a_missing_folder_is_explained(run_eore, tmp_path):
    result = run_eore("check", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert "no pack.yaml" in result.output


def test_serve_refuses_an_unusable_pack_without_a_stack_trace(run_eore):
    result = run_eore("serve", "--port", "8765", env={"EORE_CONTENT": str(PACKS / "broken-header")})
    assert result.exit_code == 1
    assert "The content pack cannot be used (1 problem(s))" in result.output
    assert "lessons/oops/lesson.en.md:5" in result.output
    assert isinstance(result.exception, SystemExit), "a clean exit, not a crash"


def test_i18n_compile_checks_every_catalogue(run_eore, tmp_path):
    result = run_eore("i18n", "compile")
    assert result.exit_code == 0, result.output
    for code in ("ar", "uk", "es", "fr"):
        assert f"{code}: " in result.output
        assert (tmp_path / "data/build/translations" / code / "LC_MESSAGES/messages.mo").exists()


def test_commands_are_reachable_through_flask(tmp_path):
    env = {**os.environ, "EORE_DATA": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "eore", "check", str(PACKS / "good")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Test pack 1.0" in result.stdout


def test_serve_explains_a_port_in_use(run_eore):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_eore("serve", "--host", "127.0.0.1", "--port", str(port))
    assert result.exit_code == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output
    assert isinstance(result.exception, SystemExit), "a clean exit, not a crash"


def test_serve_explains_a_data_folder_it_cannot_write(run_eore, tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    result = run_eore("serve", "--port", "8765", env={"EORE_DATA": str(blocked / "data")})
    assert result.exit_code == 1
    assert "Cannot use the data folder" in result.output


def test_serve_explains_a_broken_database(run_eore, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "eore.sqlite3").write_bytes(b"not a database at all" * 200)
    result = run_eore("serve", "--port", "1")
    assert result.exit_code == 1
    assert "Cannot use the database" in result.output
    assert "Traceback" not in result.output


def test_check_warns_when_the_base_url_is_unset(run_eore):
    unset = run_eore("check", env={"EORE_CONTENT": str(PACKS / "good"), "EORE_BASE_URL": None})
    assert unset.exit_code == 0
    assert "warning: EORE_BASE_URL is not set" in unset.output
    assert "http://10.42.0.1:8000" in unset.output and "http://eore.lan" in unset.output
    set_ = run_eore(
        "check", env={"EORE_CONTENT": str(PACKS / "good"), "EORE_BASE_URL": "http://eore.lan"}
    )
    assert "EORE_BASE_URL" not in set_.output


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"EORE_BASE_URL": "10.42.0.1:8000"}, "EORE_BASE_URL is '10.42.0.1:8000'"),
        ({"EORE_QR_ERROR_CORRECTION": "X"}, "EORE_QR_ERROR_CORRECTION is 'X'"),
    ],
)
def test_serve_explains_a_setting_it_cannot_use(run_eore, env, expected):
    result = run_eore("serve", "--port", "8765", env=env)
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output


def test_export_sms_writes_a_csv_for_a_gateway(run_eore, tmp_path):
    out = tmp_path / "sms.csv"
    result = run_eore("export", "sms", "--locale", "ar", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = out.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "lesson,number,locale,message,encoding,characters,segments"
    assert len(rows) > 15 and all(",ar," in row for row in rows[1:])
    assert "longer than one SMS" in result.output
    printed = run_eore("export", "sms", "--locale", "en")
    assert printed.output.startswith("lesson,number,locale,message")
    unknown = run_eore("export", "sms", "--locale", "xx")
    assert unknown.exit_code == 1 and "Unknown language xx" in unknown.output


def test_materials_build_refuses_without_the_box_address(run_eore, tmp_path):
    result = run_eore(
        "materials", "build", "--out", str(tmp_path / "out"), env={"EORE_BASE_URL": None}
    )
    assert result.exit_code == 1
    assert "EORE_BASE_URL is not set" in result.output
    assert not (tmp_path / "out").exists()


def test_materials_build_writes_static_pages_with_relative_links(run_eore, tmp_path):
    out = tmp_path / "out"
    result = run_eore(
        "materials",
        "build",
        "--out",
        str(out),
        "--locale",
        "ar",
        env={"EORE_BASE_URL": "http://eore.lan"},
    )
    assert result.exit_code == 0, result.output
    assert "[1/" in result.output
    poster = (out / "ar/materials/farming/poster.html").read_text(encoding="utf-8")
    assert 'href="poster-a3.html"' in poster and 'href="../index.html"' in poster
    stylesheet = re.search(r'href="(\.\./\.\./\.\./static/materials\.\w+\.css)"', poster)
    assert stylesheet and (out / "ar/materials/farming" / stylesheet.group(1)).is_file()
    assert "eore.lan/ar/lessons/farming</span>" in poster
    # Nothing points at the box-relative root: the folder works from any computer.
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'(?:href|src)="/', text), page
        for link in re.findall(r'(?:href|src)="([^"#:]+)"', text):
            assert (page.parent / link.replace("&amp;", "&")).exists(), (page, link)
    assert (out / "qr/ar/lessons/farming.svg").read_text().startswith("<svg")
    assert (out / "ar/materials/stickers.html").is_file()
    assert (out / "ar/materials/sms.csv").is_file()
    assert not (out / "en").exists()


def test_a_port_below_1024_without_permission_is_explained():
    import errno

    from eore.cli import _listen_advice

    advice = _listen_advice("0.0.0.0", 80, PermissionError(errno.EACCES, "Permission denied"))
    assert "ports below 1024 need a permission" in advice
    assert "deploy/eore.service" in advice and "already running" not in advice
    busy = _listen_advice("0.0.0.0", 8000, OSError(errno.EADDRINUSE, "Address already in use"))
    assert "already running" in busy
