"""Explosive ordnance risk education toolkit: lessons for phones, offline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from . import assets, compression, content, i18n, pagecache, security, settings, store


def create_app(test_config: dict | None = None) -> Flask:
    """Create the toolkit's Flask application."""
    app = Flask(__name__, static_folder=None, instance_relative_config=True)
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=64 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        # Facilitators and admins stay signed in for a working day.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        JSON_SORT_KEYS=False,
        # A participant may read a lesson for a long time before sending its
        # quiz: the form's token lives as long as the browser session.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(settings.from_environment())
    if test_config is not None:
        app.config.from_mapping(test_config)
    settings.normalize(app.config)

    data_dir = Path(app.config["DATA"])
    data_dir.mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = settings.ensure_secret_key(data_dir)
    if not app.config["DEVICE_ID"]:
        app.config["DEVICE_ID"] = settings.ensure_device_id(data_dir)
    app.config.setdefault("DATABASE", str(data_dir / "eore.sqlite3"))

    content.init_app(app)
    store.init_app(app)
    i18n.init_app(app)
    assets.init_app(app)
    security.init_app(app)
    compression.init_app(app)
    pagecache.init_app(app)

    from . import (
        accounts,
        admin,
        dashboard,
        display,
        facilitate,
        hazards,
        hotspot,
        learning,
        materials,
        offline,
        pwa,
        quizzes,
        referrals,
        reports,
        sessions,
        site,
    )

    app.register_blueprint(site.bp)
    app.register_blueprint(display.bp)
    app.register_blueprint(learning.bp)
    app.register_blueprint(quizzes.bp)
    app.register_blueprint(materials.bp)
    app.register_blueprint(materials.codes)
    app.register_blueprint(offline.bp)
    app.register_blueprint(pwa.bp)
    app.register_blueprint(pwa.saved)
    app.register_blueprint(hotspot.bp)
    app.register_blueprint(hotspot.welcome)
    accounts.init_app(app)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(facilitate.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(sessions.bp)
    app.register_blueprint(sessions.join)
    app.register_blueprint(reports.bp)
    app.register_blueprint(reports.admin)
    app.register_blueprint(referrals.bp)
    app.register_blueprint(hazards.bp)
    app.register_blueprint(hazards.admin)

    from .cli import cli

    for command in cli.commands.values():
        app.cli.add_command(command)
    return app
