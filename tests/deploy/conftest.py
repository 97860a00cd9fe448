"""Fixtures for the deployment tests.

The slow tests (real validators, a real debootstrap root) carry the ``deploy`` marker, registered
here so that the suite does not depend on pyproject.toml. Run them with ``pytest -m deploy
tests/deploy``. A validator that is missing FAILS the test with the package to install: nothing is
skipped and nothing is installed by the tests themselves.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploytools import ROOT_TARBALL, build_root_tarball, run


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "deploy: slow deployment tests (validators, debootstrap + ansible chroot); needs root",
    )


@pytest.fixture(scope="session")
def bookworm_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh Debian bookworm minbase root with python3, unpacked from the cached tarball."""
    if not ROOT_TARBALL.exists():
        build_root_tarball()
    root = tmp_path_factory.mktemp("bookworm-root")
    result = run(["tar", "-C", str(root), "--numeric-owner", "-xf", str(ROOT_TARBALL)])
    if result.returncode != 0:
        pytest.fail(f"unpacking {ROOT_TARBALL} failed: {result.stderr}")
    yield root
    # The root belongs to this run only; remove it (it is a few hundred megabytes).
    shutil.rmtree(root, ignore_errors=True)
