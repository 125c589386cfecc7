"""The instance folder is found as Flask finds it, for real module trees on sys.path."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from carboy import Carboy


@pytest.fixture
def forget_modules() -> Iterator[list[str]]:
    """Names of top-level modules a test creates; removed from ``sys.modules`` after."""
    names: list[str] = []
    yield names
    for key in list(sys.modules):
        if key.partition(".")[0] in names:
            del sys.modules[key]


def _write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_uninstalled_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_modules: list[str]
) -> None:
    _write(tmp_path / "project" / "inst_mod_a.py")
    monkeypatch.syspath_prepend(str(tmp_path / "project"))
    forget_modules.append("inst_mod_a")
    app = Carboy("inst_mod_a")
    assert app.instance_path == str(tmp_path / "project" / "instance")


def test_uninstalled_package_and_its_submodule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_modules: list[str]
) -> None:
    _write(tmp_path / "project" / "inst_pkg_a" / "__init__.py")
    _write(tmp_path / "project" / "inst_pkg_a" / "web.py")
    monkeypatch.syspath_prepend(str(tmp_path / "project"))
    forget_modules.append("inst_pkg_a")
    expected = str(tmp_path / "project" / "instance")
    # The folder beside the package, not inside it.
    assert Carboy("inst_pkg_a").instance_path == expected
    assert Carboy("inst_pkg_a.web").instance_path == expected


@pytest.mark.parametrize(
    "site",
    [
        ("lib", "python3.11", "site-packages"),  # POSIX
        ("Lib", "site-packages"),  # Windows
    ],
)
@pytest.mark.parametrize("kind", ["module", "package"])
def test_installed_module_and_package(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forget_modules: list[str],
    site: tuple[str, ...],
    kind: str,
) -> None:
    prefix = tmp_path / "prefix"
    site_packages = prefix.joinpath(*site)
    name = f"inst_installed_{kind}_{len(site)}"
    if kind == "module":
        _write(site_packages / f"{name}.py")
    else:
        _write(site_packages / name / "__init__.py")
    monkeypatch.syspath_prepend(str(site_packages))
    forget_modules.append(name)
    app = Carboy(name)
    assert app.instance_path == str(prefix / "var" / f"{name}-instance")


def test_installed_in_a_bare_site_packages_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_modules: list[str]
) -> None:
    _write(tmp_path / "prefix" / "site-packages" / "inst_bare.py")
    monkeypatch.syspath_prepend(str(tmp_path / "prefix" / "site-packages"))
    forget_modules.append("inst_bare")
    assert Carboy("inst_bare").instance_path == str(
        tmp_path / "prefix" / "var" / "inst_bare-instance"
    )


def test_installed_under_sys_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_modules: list[str]
) -> None:
    prefix = tmp_path / "venv"
    _write(prefix / "apps" / "inst_in_prefix.py")
    monkeypatch.syspath_prepend(str(prefix / "apps"))
    monkeypatch.setattr(sys, "prefix", str(prefix))
    forget_modules.append("inst_in_prefix")
    assert Carboy("inst_in_prefix").instance_path == str(
        prefix / "var" / "inst_in_prefix-instance"
    )


def test_namespace_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_modules: list[str]
) -> None:
    # One namespace package "inst_ns" split over two folders, no __init__.py at its top.
    _write(tmp_path / "first" / "inst_ns" / "one" / "__init__.py")
    _write(tmp_path / "second" / "inst_ns" / "two" / "__init__.py")
    _write(tmp_path / "second" / "inst_ns" / "mod.py")
    monkeypatch.syspath_prepend(str(tmp_path / "second"))
    monkeypatch.syspath_prepend(str(tmp_path / "first"))
    forget_modules.append("inst_ns")
    assert Carboy("inst_ns.one").instance_path == str(tmp_path / "first" / "instance")
    assert Carboy("inst_ns.two").instance_path == str(tmp_path / "second" / "instance")
    assert Carboy("inst_ns.mod").instance_path == str(tmp_path / "second" / "instance")
    # The namespace itself: its first folder.
    assert Carboy("inst_ns").instance_path == str(tmp_path / "first" / "instance")


def test_installed_namespace_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_modules: list[str]
) -> None:
    site_packages = tmp_path / "prefix" / "lib" / "python3.11" / "site-packages"
    _write(site_packages / "inst_ns_site" / "app" / "__init__.py")
    monkeypatch.syspath_prepend(str(site_packages))
    forget_modules.append("inst_ns_site")
    assert Carboy("inst_ns_site.app").instance_path == str(
        tmp_path / "prefix" / "var" / "inst_ns_site.app-instance"
    )


def test_unknown_module_uses_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Carboy("no_such_module_anywhere").instance_path == os.path.join(
        str(tmp_path), "instance"
    )


def test_main_module_instance_is_named_after_the_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # ``python x.py``: the script's module has no spec, so the working directory.
    monkeypatch.setattr(sys.modules["__main__"], "__file__", str(tmp_path / "x.py"))
    monkeypatch.setattr(sys.modules["__main__"], "__spec__", None)
    assert Carboy("__main__").instance_path == os.path.join(str(tmp_path), "instance")
