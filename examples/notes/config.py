"""The app's settings: defaults here, then ``instance/config.py``, then ``CARBOY_*``
environment variables (see ``create_app``)."""

from __future__ import annotations


class Config:
    """Defaults good for trying the app on your machine.

    In production set at least ``CARBOY_SECRET_KEY`` (a long random string) and
    ``CARBOY_SESSION_COOKIE_SECURE=true`` (behind HTTPS).
    """

    SECRET_KEY = "dev"  # replace in production: CARBOY_SECRET_KEY=...
    # A relative SQLite file lives in the instance folder; any SQLAlchemy URL works.
    SQLALCHEMY_DATABASE_URI = "sqlite:///notes.sqlite"
    # Run the migrations when the database has no tables yet (the first run).
    NOTES_CREATE_DATABASE = True
    # Where attachments are stored; relative to the instance folder.
    NOTES_UPLOAD_FOLDER = "attachments"
    # Bodies larger than this are refused with 413 before they are read.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    NOTES_PER_PAGE = 20
    # Set to require "Authorization: Bearer <token>" on /metrics.
    NOTES_METRICS_TOKEN: str | None = None
    # carboy.security's hash method for new passwords.
    NOTES_PASSWORD_METHOD = "scrypt"
    # The JSON API takes the session cookie too (the docs page's "Try it out").
    SESSION_COOKIE_SAMESITE = "Lax"


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    # Hashing with scrypt's defaults is slow by design; tests do not need that.
    NOTES_PASSWORD_METHOD = "pbkdf2:sha256:1000"
