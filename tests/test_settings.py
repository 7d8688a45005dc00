"""Settings come from the environment; the secret key is made once and kept."""

import stat

from eore import create_app
from eore.settings import PROJECT_ROOT, SETTINGS, from_environment


def test_defaults_point_into_the_checkout():
    values = from_environment({})
    assert values["CONTENT"] == str(PROJECT_ROOT / "content")
    assert values["DATA"] == str(PROJECT_ROOT / "instance")
    assert values["BASE_URL"] == ""
    assert all(setting.help for setting in SETTINGS)


def test_environment_overrides_defaults():
    values = from_environment({"EORE_BASE_URL": "http://10.42.0.1:8000", "EORE_DATA": "/srv"})
    assert values["BASE_URL"] == "http://10.42.0.1:8000"
    assert values["DATA"] == "/srv"


def test_secret_key_is_generated_once_and_private(tmp_path):
    first = create_app({"DATA": str(tmp_path)})
    second = create_app({"DATA": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert first.secret_key == second.secret_key == key_file.read_text()
    assert len(first.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_configured_secret_key_is_used_and_not_written(tmp_path):
    app = create_app({"DATA": str(tmp_path), "SECRET_KEY": "configured"})
    assert app.secret_key == "configured"
    assert not (tmp_path / "secret_key").exists()
