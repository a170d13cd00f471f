"""Atomic replacement: same directory, mode kept, links followed, changed files never touched."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fastapi_pool_lint.fixes import write
from fastapi_pool_lint.fixes.source import digest
from fastapi_pool_lint.fixes.write import Replacement, WriteFailure, replace_file, replace_group


def test_replace_keeps_the_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    replace_file("app.py", path, b"new\n", digest(b"old\n"))
    assert path.read_bytes() == b"new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]


def test_a_file_changed_since_it_was_read_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_bytes(b"edited by someone else\n")
    with pytest.raises(WriteFailure, match="changed on disk"):
        replace_file("app.py", path, b"new\n", digest(b"old\n"))
    assert path.read_bytes() == b"edited by someone else\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]


def test_a_symbolic_link_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_bytes(b"old\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    replace_file("link.py", link, b"new\n", digest(b"old\n"))
    assert link.is_symlink()
    assert real.read_bytes() == b"new\n"


def test_a_group_is_rolled_back_when_one_file_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_bytes(b"a\n")
    second.write_bytes(b"b\n")
    real_replace = os.replace
    calls: list[str] = []

    def failing_replace(src: str, dst: os.PathLike[str]) -> None:
        calls.append(str(dst))
        if Path(dst).name == "b.py" and len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(write.os, "replace", failing_replace)
    group = [
        Replacement("a.py", first, b"a\n", b"A\n"),
        Replacement("b.py", second, b"b\n", b"B\n"),
    ]
    with pytest.raises(WriteFailure, match="No space left"):
        replace_group(group)
    assert first.read_bytes() == b"a\n"
    assert second.read_bytes() == b"b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]


def test_a_group_is_not_started_when_one_file_changed(tmp_path: Path) -> None:
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_bytes(b"a\n")
    second.write_bytes(b"changed\n")
    group = [
        Replacement("a.py", first, b"a\n", b"A\n"),
        Replacement("b.py", second, b"b\n", b"B\n"),
    ]
    with pytest.raises(WriteFailure, match=r"b\.py: changed on disk"):
        replace_group(group)
    assert first.read_bytes() == b"a\n"
