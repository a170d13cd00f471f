"""Bad paths (issue 7): each says which path and why, exits with a defined code, still checks
the other paths (their findings reported), prints no traceback and writes nothing."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path
from urllib.parse import quote

import pytest

from .badinput_helpers import (
    ENGINE_FINDING,
    LINT,
    assert_fix_leaves_it,
    assert_no_traceback,
    assert_refused,
    check_json,
    lint,
    project,
    snapshot,
)
from .frontdoor_helpers import run


def test_a_missing_path(tmp_path: Path) -> None:
    root = project(tmp_path)
    message = "cannot read: no such file or directory"
    assert_refused(root, "missing.py", message, "missing.py", "engine.py")
    assert_fix_leaves_it(root, "missing.py", message, "missing.py", "engine.py")


def test_a_file_that_is_not_python_given_explicitly_is_skipped_with_a_notice(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "notes.txt").write_text("create_engine('postgresql://h/db')\n")
    before = snapshot(root)
    proc, findings = check_json(root, "notes.txt", "engine.py")
    assert_no_traceback(proc)
    assert proc.returncode == 1  # a notice, not an error: the findings decide
    assert proc.stderr.splitlines() == [
        "fastapi-pool-lint: notes.txt: skipped: not a Python file (only .py files are analysed)"
    ]
    assert findings == [ENGINE_FINDING]
    assert snapshot(root) == before


def test_a_directory_without_python_files(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# docs\n")
    before = snapshot(root)
    proc = lint(root, "check", "--no-cache", "docs")
    assert_no_traceback(proc)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == ["fastapi-pool-lint: warning: no Python files to check in docs"]
    assert snapshot(root) == before


def _without_permission_override() -> list[str]:
    """A command prefix under which file permissions apply: none for a normal user; for root
    (which reads anything), ``setpriv`` dropping the capabilities that let it."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a chmod 000 file stays readable")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def test_an_unreadable_file(tmp_path: Path) -> None:
    prefix = _without_permission_override()
    root = project(tmp_path)
    secret = root / "secret.py"
    secret.write_text("x = 1\n")
    secret.chmod(0)
    try:
        before = snapshot(root)
        proc = run([*prefix, LINT, "check", "--no-cache", "--format", "json"], root)
        assert_no_traceback(proc)
        assert proc.returncode == 2
        assert proc.stderr.splitlines() == ["secret.py: cannot read: Permission denied"]
        assert [(f["path"], f["line"], f["column"], f["code"]) for f in json.loads(proc.stdout)] == [
            ENGINE_FINDING
        ]
        assert snapshot(root) == before
    finally:
        secret.chmod(0o644)


@pytest.mark.parametrize("explicit", [True, False], ids=["named", "walked"])
def test_a_symbolic_link_loop(tmp_path: Path, explicit: bool) -> None:
    root = project(tmp_path)
    (root / "a.py").symlink_to("b.py")
    (root / "b.py").symlink_to("a.py")
    args = ("a.py", "engine.py") if explicit else ()
    assert_refused(root, "a.py", "cannot read: symbolic link loop", *args)
    assert_fix_leaves_it(root, "a.py", "cannot read: symbolic link loop", *args)


@pytest.mark.parametrize("explicit", [True, False], ids=["named", "walked"])
def test_a_broken_symbolic_link(tmp_path: Path, explicit: bool) -> None:
    root = project(tmp_path)
    (root / "gone.py").symlink_to("deleted.py")
    message = "cannot read: broken symbolic link (to deleted.py)"
    args = ("gone.py", "engine.py") if explicit else ()
    assert_refused(root, "gone.py", message, *args)
    assert_fix_leaves_it(root, "gone.py", message, *args)


def test_a_fifo_named_like_python(tmp_path: Path) -> None:
    """Named, it is refused (never opened for a blocking read); in a walk, it is no source file."""
    root = project(tmp_path)
    os.mkfifo(root / "pipe.py")
    before = snapshot(root)
    proc, findings = check_json(root)
    assert (proc.returncode, proc.stderr, findings) == (1, "", [ENGINE_FINDING])
    assert snapshot(root) == before
    assert_refused(root, "pipe.py", "cannot read: not a regular file (a FIFO)", "pipe.py", "engine.py")
    assert_fix_leaves_it(root, "pipe.py", "cannot read: not a regular file (a FIFO)", "pipe.py", "engine.py")


def test_a_socket_named_like_python(tmp_path: Path) -> None:
    root = project(tmp_path)
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(root / "sock.py"))
        message = "cannot read: not a regular file (a socket)"
        assert_refused(root, "sock.py", message, "sock.py", "engine.py")
        proc, findings = check_json(root)
        assert (proc.returncode, proc.stderr, findings) == (1, "", [ENGINE_FINDING])
    finally:
        server.close()


def test_spaces_and_non_ascii_names_in_every_format(tmp_path: Path) -> None:
    root = project(tmp_path)
    name = "my app/café db.py"
    (root / "my app").mkdir()
    (root / name).write_text((root / "engine.py").read_text())
    before = snapshot(root)

    text = lint(root, "check", "--no-cache", "--quiet", "my app")
    assert text.returncode == 1, text.stderr
    assert [line.split(" FPL")[0] for line in text.stdout.splitlines()] == [f"{name}:2:10:"]

    proc, findings = check_json(root)
    assert (proc.returncode, findings) == (1, [ENGINE_FINDING, (name, 2, 10, "FPL004")])

    sarif = json.loads(lint(root, "check", "--no-cache", "--format", "sarif", "my app").stdout)
    [result] = sarif["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == quote(name) == "my%20app/caf%C3%A9%20db.py"
    assert (location["region"]["startLine"], location["region"]["startColumn"]) == (2, 10)

    github = lint(root, "check", "--no-cache", "--format", "github", "my app")
    assert github.stdout.startswith(f"::warning file={name},line=2,col=10,")
    for other in (text, proc, github):
        assert_no_traceback(other)
    assert snapshot(root) == before
