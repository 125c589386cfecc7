"""``app.config``: the loaders and ``get_namespace``."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from carboy import Carboy, Config


class Settings:
    SECRET_KEY = "from object"
    DEBUG = True
    lower_case = "ignored"
    _private = "ignored"


def test_from_object(app: Carboy) -> None:
    app.config.from_object(Settings)
    assert app.config["SECRET_KEY"] == "from object"
    assert app.config["DEBUG"] is True
    assert "lower_case" not in app.config
    assert "_private" not in app.config


def test_from_object_instance() -> None:
    config = Config()
    config.from_object(Settings())
    assert config["SECRET_KEY"] == "from object"


def test_from_object_import_string(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "carboy_cfg_mod.py").write_text(
        "VALUE = 7\nclass Prod:\n    NAME = 'prod'\n    other = 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        config = Config()
        config.from_object("carboy_cfg_mod")
        assert config["VALUE"] == 7
        config.from_object("carboy_cfg_mod.Prod")
        assert config["NAME"] == "prod"
        config.from_object("carboy_cfg_mod:Prod")
        assert "other" not in config
        with pytest.raises(ImportError):
            config.from_object("carboy_cfg_mod.Missing")
        with pytest.raises(ImportError):
            config.from_object("carboy_no_such_module_xyz")
    finally:
        sys.modules.pop("carboy_cfg_mod", None)


def test_from_pyfile(tmp_path: Path) -> None:
    (tmp_path / "settings.cfg").write_text(
        "import os\nSECRET_KEY = 'py' + 'file'\nlower = 1\nPATH = __file__\n"
    )
    config = Config(tmp_path)
    assert config.from_pyfile("settings.cfg") is True
    assert config["SECRET_KEY"] == "pyfile"
    assert "lower" not in config
    assert "os" not in config
    assert config["PATH"] == str(tmp_path / "settings.cfg")


def test_from_pyfile_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_pyfile("missing.cfg", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        config.from_pyfile("missing.cfg")


def test_from_envvar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env.cfg"
    path.write_text("FROM_ENV = 'yes'\n")
    config = Config()
    monkeypatch.delenv("CARBOY_TEST_SETTINGS", raising=False)
    assert config.from_envvar("CARBOY_TEST_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError, match="CARBOY_TEST_SETTINGS"):
        config.from_envvar("CARBOY_TEST_SETTINGS")
    monkeypatch.setenv("CARBOY_TEST_SETTINGS", str(path))
    assert config.from_envvar("CARBOY_TEST_SETTINGS") is True
    assert config["FROM_ENV"] == "yes"


def test_from_mapping() -> None:
    config = Config()
    assert config.from_mapping({"A": 1, "b": 2}, C=3, d=4) is True
    assert config == {"A": 1, "C": 3}


def test_from_file_json(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"JSON_KEY": [1, 2], "low": 1}))
    config = Config(tmp_path)
    assert config.from_file("c.json", load=json.load) is True
    assert config["JSON_KEY"] == [1, 2]
    assert "low" not in config
    assert config.from_file("nope.json", load=json.load, silent=True) is False
    with pytest.raises(OSError):
        config.from_file("nope.json", load=json.load)


def test_from_file_toml(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('TOML_KEY = "v"\n[DB]\nHOST = "h"\n')
    config = Config(tmp_path)
    assert config.from_file("c.toml", load=tomllib.load, text=False) is True
    assert config["TOML_KEY"] == "v"
    assert config["DB"] == {"HOST": "h"}


def test_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBOY_SECRET_KEY", "env secret")
    monkeypatch.setenv("CARBOY_PORT", "8080")
    monkeypatch.setenv("CARBOY_ENABLED", "true")
    monkeypatch.setenv("CARBOY_LIST", "[1, 2]")
    monkeypatch.setenv("CARBOY_DB__HOST", "db.local")
    monkeypatch.setenv("CARBOY_DB__PORT", "5432")
    monkeypatch.setenv("OTHER_IGNORED", "1")
    config = Config()
    config["DB"] = {"USER": "kept"}
    assert config.from_prefixed_env() is True
    assert config["SECRET_KEY"] == "env secret"
    assert config["PORT"] == 8080
    assert config["ENABLED"] is True
    assert config["LIST"] == [1, 2]
    assert config["DB"] == {"USER": "kept", "HOST": "db.local", "PORT": 5432}
    assert "IGNORED" not in config and "OTHER_IGNORED" not in config


def test_from_prefixed_env_custom_prefix_and_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MYAPP_VALUE", "42")
    config = Config()
    config.from_prefixed_env("MYAPP", loads=str)
    assert config["VALUE"] == "42"


def test_from_prefixed_env_nested_creates_dicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARBOY_A__B__C", "1")
    config = Config()
    config.from_prefixed_env()
    assert config["A"] == {"B": {"C": 1}}


def test_get_namespace() -> None:
    config = Config()
    config.from_mapping(
        IMAGE_STORE_TYPE="fs",
        IMAGE_STORE_PATH="/var/img",
        IMAGE_STORE_BASE_URL="http://img",
        OTHER=1,
    )
    assert config.get_namespace("IMAGE_STORE_") == {
        "type": "fs",
        "path": "/var/img",
        "base_url": "http://img",
    }
    assert config.get_namespace("IMAGE_STORE_", lowercase=False) == {
        "TYPE": "fs",
        "PATH": "/var/img",
        "BASE_URL": "http://img",
    }
    assert config.get_namespace("IMAGE_STORE_", trim_namespace=False) == {
        "image_store_type": "fs",
        "image_store_path": "/var/img",
        "image_store_base_url": "http://img",
    }


def test_config_is_a_dict_and_repr() -> None:
    config = Config(defaults={"A": 1})
    assert isinstance(config, dict)
    assert config["A"] == 1
    assert repr(config) == "<Config {'A': 1}>"


def test_app_config_root_path(tmp_path: Path) -> None:
    app = Carboy("x", root_path=str(tmp_path))
    (tmp_path / "cfg.py").write_text("ROOTED = True\n")
    app.config.from_pyfile("cfg.py")
    assert app.config["ROOTED"] is True


def test_config_changes_behaviour(protocol: str) -> None:
    app = Carboy("x", static_folder=None)
    app.config.from_mapping(PROPAGATE_EXCEPTIONS=False, TESTING=True)

    @app.get("/")
    def index() -> str:
        raise ValueError()

    assert app.test_client(protocol=protocol).get("/").status_code == 500


def test_from_prefixed_env_flask_prefix_for_a_ported_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "from flask env")
    monkeypatch.setenv("FLASK_SQLALCHEMY__POOL", '{"size": 5}')
    monkeypatch.setenv("CARBOY_NOT_READ", "1")
    app = Carboy("ported", static_folder=None)
    assert app.config.from_prefixed_env(prefix="FLASK") is True
    assert app.secret_key == "from flask env"
    assert app.config["SQLALCHEMY"] == {"POOL": {"size": 5}}
    assert "NOT_READ" not in app.config


def test_from_prefixed_env_default_prefix_is_carboy_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARBOY_MAX_CONTENT_LENGTH", "1024")
    monkeypatch.setenv("CARBOYX_OTHER", "1")
    monkeypatch.setenv("FLASK_SECRET_KEY", "ignored")
    app = Carboy("prefixed", static_folder=None)
    app.config.from_prefixed_env()
    assert app.config["MAX_CONTENT_LENGTH"] == 1024
    assert "X_OTHER" not in app.config and "OTHER" not in app.config
    assert app.secret_key is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("null", None),
        ("false", False),
        ("1.5", 1.5),
        ('"quoted"', "quoted"),
        ('{"a": [1, {"b": null}]}', {"a": [1, {"b": None}]}),
        ("not json", "not json"),
        ("1.2.3", "1.2.3"),
        ("[1, 2", "[1, 2"),
        ("", ""),
    ],
)
def test_from_prefixed_env_values_are_json_when_they_parse(
    monkeypatch: pytest.MonkeyPatch, raw: str, value: Any
) -> None:
    monkeypatch.setenv("CARBOY_VALUE", raw)
    config = Config()
    config.from_prefixed_env()
    assert config["VALUE"] == value
    assert type(config["VALUE"]) is type(value)


def test_from_prefixed_env_nested_keys_merge_into_existing_dicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARBOY_DB__OPTIONS__TIMEOUT", "5")
    monkeypatch.setenv("CARBOY_DB__NAME", "main")
    config = Config()
    config["DB"] = {"OPTIONS": {"RETRY": True}, "NAME": "old"}
    config.from_prefixed_env()
    assert config["DB"] == {"OPTIONS": {"RETRY": True, "TIMEOUT": 5}, "NAME": "main"}
