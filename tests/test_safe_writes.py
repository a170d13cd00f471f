"""``fix`` never corrupts a file: what it keeps, what it refuses, how it stops.

- the bytes outside an edit are kept exactly: PEP 263 encoding, UTF-8 BOM, CRLF and mixed
  newlines; the mode (set-ID bits too) and the owner;
- a file that changes between the analysis and the replacement is reported and left alone;
- a read-only file, or one in a read-only directory, is reported and skipped (exit 2) while the
  other files are fixed; under root, where permissions do not stop writes, "read-only" means no
  write permission bit at all (as editors do), and ownership-based refusals run as ``nobody``;
- SIGINT and SIGTERM at chosen moments (a driver pauses ``fix`` there) and at increasing delays
  leave every file old or new, a multi-file fix whole, and no temporary file;
- two ``fix`` runs at once leave every file fixed by one of them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import site
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import fastapi_pool_lint
from fastapi_pool_lint.fixes import write

from .conftest import FIXTURES
from .fixhelpers import invoke, snapshot

FIX = FIXTURES / "fix"
INSERTING = FIX / "fpl001_original_report" / "before.py"  # a fix that adds lines
IN_LINE = FIX / "fpl003_timeouts" / "before.py"  # a fix that edits within lines
PYPROJECT = b"[project]\nname = 'safe-writes'\n"
UNSAFE = ["fix", "--unsafe-fixes", "."]
BOM = b"\xef\xbb\xbf"


def _project(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in {"pyproject.toml": PYPROJECT, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _temporary_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*.fpl"))


def _fixed(tmp_path: Path, name: str, data: bytes, args: list[str] = UNSAFE) -> bytes:
    """``data`` after ``fix`` as ``app.py`` in a project of its own."""
    root = _project(tmp_path / name, {"app.py": data})
    result = invoke(args, root)
    assert result.exit_code == 0, result
    assert _temporary_files(root) == []
    return (root / "app.py").read_bytes()


# --------------------------------------------------------------------------- bytes kept


def test_crlf_newlines_are_kept_and_used_for_inserted_lines(tmp_path: Path) -> None:
    plain = INSERTING.read_bytes()
    reference = _fixed(tmp_path, "lf", plain)
    assert reference != plain
    crlf = _fixed(tmp_path, "crlf", plain.replace(b"\n", b"\r\n"))
    assert crlf == reference.replace(b"\n", b"\r\n")


def test_mixed_newlines_are_kept_line_by_line(tmp_path: Path) -> None:
    plain = IN_LINE.read_bytes().splitlines(keepends=True)

    def mixed(lines: list[bytes]) -> bytes:  # every third line ends in CRLF
        return b"".join(
            line[:-1] + b"\r\n" if i % 3 == 0 else line for i, line in enumerate(lines)
        )

    reference = _fixed(tmp_path, "lf", b"".join(plain)).splitlines(keepends=True)
    assert len(reference) == len(plain)  # the fix edits within lines
    assert _fixed(tmp_path, "mixed", mixed(plain)) == mixed(reference)


def test_a_utf8_bom_is_kept(tmp_path: Path) -> None:
    plain = "# café ☃\n".encode() + INSERTING.read_bytes()
    reference = _fixed(tmp_path, "plain", plain)
    assert _fixed(tmp_path, "bom", BOM + plain) == BOM + reference


def test_a_pep263_latin1_file_stays_latin1(tmp_path: Path) -> None:
    text = "# -*- coding: CODEC -*-\n# café, naïve, ½\n" + INSERTING.read_text(encoding="utf-8")
    reference = _fixed(tmp_path, "utf8", text.replace("CODEC", "utf-8").encode("utf-8"))
    latin = _fixed(tmp_path, "latin", text.replace("CODEC", "latin-1").encode("latin-1"))
    expected = reference.decode("utf-8").replace("coding: utf-8", "coding: latin-1")
    assert latin == expected.encode("latin-1")
    assert b"caf\xe9" in latin


@pytest.mark.parametrize("mode", [0o640, 0o755, 0o600, 0o2755, 0o6755], ids=oct)
def test_the_mode_is_kept(tmp_path: Path, mode: int) -> None:
    root = _project(tmp_path, {"app.py": IN_LINE.read_bytes()})
    (root / "app.py").chmod(mode)
    assert invoke(UNSAFE, root).exit_code == 0
    assert (root / "app.py").read_bytes() != IN_LINE.read_bytes()
    assert stat.S_IMODE((root / "app.py").stat().st_mode) == mode


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_the_owner_is_kept(tmp_path: Path) -> None:
    root = _project(tmp_path, {"app.py": IN_LINE.read_bytes()})
    os.chown(root / "app.py", 4321, 4322)
    assert invoke(UNSAFE, root).exit_code == 0
    info = (root / "app.py").stat()
    assert (info.st_uid, info.st_gid) == (4321, 4322)
    assert (root / "app.py").read_bytes() != IN_LINE.read_bytes()


# --------------------------------------------------------------------------- changed meanwhile


def _three_files(root: Path) -> dict[str, bytes]:
    data = IN_LINE.read_bytes()
    return snapshot(_project(root, {"a.py": data, "b.py": data, "c.py": data}))


@pytest.mark.parametrize("moment", ["after planning", "after staging"])
def test_a_file_changed_before_its_replacement_is_reported_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    before = _three_files(tmp_path)
    edited = b"# edited in an editor meanwhile\n" + before["b.py"]

    def edit_b() -> None:
        (tmp_path / "b.py").write_bytes(edited)

    if moment == "after planning":  # between fix planning and the group's first check
        real_group = write.replace_group

        def group(replacements: list[write.Replacement]) -> None:
            if any(r.key == "b.py" for r in replacements):
                edit_b()
            real_group(replacements)

        monkeypatch.setattr("fastapi_pool_lint.fixing.replace_group", group)
    else:  # the temporary file is written; the last check before os.replace must see it
        real_commit = write._commit

        def commit(staged: write._Staged, expected: str) -> None:
            if staged.key == "b.py":
                assert staged.temporary.exists()
                edit_b()
            real_commit(staged, expected)

        monkeypatch.setattr(write, "_commit", commit)
    result = invoke(UNSAFE, tmp_path)
    assert result.exit_code == 2, result
    assert "error: b.py: changed on disk since it was read; not touched" in result.stdout
    after = snapshot(tmp_path)
    assert after["b.py"] == edited
    assert after["a.py"] == after["c.py"] != before["a.py"]
    assert _temporary_files(tmp_path) == []


# --------------------------------------------------------------------------- refusals


def test_read_only_file_and_directory_are_skipped_and_the_rest_fixed(tmp_path: Path) -> None:
    """``chmod a-w`` protects a file or a directory, from root too (no write bit at all)."""
    data = IN_LINE.read_bytes()
    root = _project(tmp_path, {"ro.py": data, "locked/inside.py": data, "ok.py": data})
    (root / "ro.py").chmod(0o444)
    (root / "locked").chmod(0o555)
    try:
        result = invoke(UNSAFE, root)
        after = snapshot(root)
        leftovers = _temporary_files(root)
    finally:
        (root / "locked").chmod(0o755)
    assert result.exit_code == 2, result
    assert "error: ro.py: read-only file; not touched" in result.stdout
    assert f"error: locked/inside.py: cannot write in its directory {root / 'locked'}" in (
        result.stdout
    )
    assert after["ro.py"] == after["locked/inside.py"] == data
    assert after["ok.py"] != data
    assert stat.S_IMODE((root / "ro.py").stat().st_mode) == 0o444
    assert leftovers == []


def test_a_file_with_other_hard_links_is_skipped(tmp_path: Path) -> None:
    data = IN_LINE.read_bytes()
    root = _project(tmp_path, {"linked.py": data, "ok.py": data})
    os.link(root / "linked.py", tmp_path / "elsewhere.txt")
    result = invoke(UNSAFE, root)
    assert result.exit_code == 2, result
    assert "linked.py: has 1 other hard link(s)" in result.stdout
    assert (root / "linked.py").read_bytes() == data
    assert (root / "ok.py").read_bytes() != data


NOBODY = 65534
# The same Python version (libcst's native parser is built for it), importing this package.
PROBE = (
    f"import sys; assert sys.version_info[:2] == {tuple(sys.version_info[:2])}; "
    "import fastapi_pool_lint.cli, libcst; libcst.parse_module('x = 1')"
)


def _python_for_nobody() -> tuple[str, dict[str, str]]:
    """An interpreter ``nobody`` may run, and an environment in which it imports this
    package; skips the test when there is none."""
    package = Path(fastapi_pool_lint.__file__).resolve().parents[1]
    path = os.pathsep.join([str(package), *site.getsitepackages()])
    env = {**os.environ, "PYTHONPATH": path}
    candidates = [sys.executable, shutil.which("python3"), "/usr/bin/python3", "/usr/local/bin/python3"]
    for candidate in dict.fromkeys(c for c in candidates if c and os.path.exists(c)):
        try:
            probe = subprocess.run(
                [candidate, "-c", PROBE],
                env=env, capture_output=True, check=False,
                user=NOBODY, group=NOBODY, extra_groups=[],
            )  # fmt: skip
        except OSError:
            continue
        if probe.returncode == 0:
            return candidate, env
    pytest.skip(f"as root, and no Python that user {NOBODY} may run imports this package")


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_files_and_directories_this_user_may_not_write_are_skipped() -> None:
    """Write bits set, but not for this user: ``os.access`` decides. A file and a directory
    whose owner has no write permission (others have); as root, the command runs as ``nobody``
    (who owns them), for whom permissions hold."""
    data = IN_LINE.read_bytes()
    as_root = os.geteuid() == 0
    python, env = _python_for_nobody() if as_root else (sys.executable, dict(os.environ))
    with tempfile.TemporaryDirectory() as directory:
        root = _project(Path(directory), {"mode.py": data, "dir/inside.py": data, "ok.py": data})
        if as_root:
            for path in [root, *root.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
        (root / "mode.py").chmod(0o466)
        (root / "dir").chmod(0o577)
        try:
            result = subprocess.run(
                [python, "-m", "fastapi_pool_lint", *UNSAFE],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                user=NOBODY if as_root else None,
                group=NOBODY if as_root else None,
                extra_groups=[] if as_root else None,
            )
            after = snapshot(root)
        finally:
            (root / "dir").chmod(0o755)
        assert result.returncode == 2, result
        assert "error: mode.py: read-only file; not touched" in result.stdout
        assert "error: dir/inside.py: cannot write in its directory" in result.stdout
        assert after["mode.py"] == after["dir/inside.py"] == data
        assert after["ok.py"] != data
        assert _temporary_files(root) == []


# --------------------------------------------------------------------------- interruptions

ENGINE = 'from sqlalchemy import create_engine\n\nengine = create_engine("sqlite:///{n}.db", pool_timeout=None)\n'
ENGINE_FILES = [f"engines/e{n:02d}.py" for n in range(10)]
GROUP = ("app/routers/items.py", "app/routers/users.py")  # one FPL001 fix edits both


@dataclass(frozen=True)
class Tree:
    old: dict[str, bytes]
    new: dict[str, bytes]  # after an uninterrupted ``fix --unsafe-fixes``

    def make(self, root: Path) -> Path:
        return _project(root, {k: v for k, v in self.old.items() if k != "pyproject.toml"})

    def check_state(self, root: Path) -> set[str]:
        """Every file old or new, the group whole, nothing left over; the new files."""
        now = snapshot(root)
        assert set(now) == set(self.old)
        new = set()
        for name, data in now.items():
            assert data in (self.old[name], self.new[name]), f"{name} is neither old nor new"
            if data != self.old[name]:
                new.add(name)
        assert len({name in new for name in GROUP}) == 1, f"half a multi-file fix: {new}"
        assert _temporary_files(root) == []
        return new


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    root = tmp_path_factory.mktemp("reference")
    shutil.copytree(FIX / "fpl001_package" / "before", root, dirs_exist_ok=True)
    for n, name in enumerate(ENGINE_FILES):
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(ENGINE.format(n=n))
    (root / "pyproject.toml").write_bytes(PYPROJECT)
    old = snapshot(root)
    assert invoke(UNSAFE, root).exit_code == 0
    new = snapshot(root)
    changed = {name for name in old if old[name] != new[name]}
    assert changed == {*GROUP, *ENGINE_FILES}
    return Tree(old, {name: new[name] for name in old})


# Runs ``fastapi-pool-lint`` (its real entry point, signal handlers included), pausing at the
# moments named on stderr ("@analysed", "@stage <file>", "@replace <file>") until a line arrives
# on stdin (none comes once stdin is closed).
DRIVER = r"""
import os, sys, types
from fastapi_pool_lint import cli, fixing
from fastapi_pool_lint.fixes import write

def pause(event):
    sys.stderr.write("@" + event + "\n")
    sys.stderr.flush()
    sys.stdin.readline()

class Os(types.ModuleType):
    def __getattr__(self, name):
        return getattr(os, name)

hooked = Os("os")
def fsync(fd):
    os.fsync(fd)
    name = os.readlink("/proc/self/fd/%d" % fd)
    if name.endswith(".fpl"):
        pause("stage " + name)
def replace(source, target):
    pause("replace " + os.fspath(target))
    os.replace(source, target)
hooked.fsync, hooked.replace = fsync, replace
write.os = hooked

check_paths = fixing.check_paths
def analysed(*args, **kwargs):
    result = check_paths(*args, **kwargs)
    pause("analysed")
    return result
fixing.check_paths = analysed
sys.argv[0] = "fastapi-pool-lint"
cli.main()
"""


def _relative(root: Path, event: str) -> str:
    """The project file an ``@stage``/``@replace`` event is about."""
    path = Path(event.split(" ", 1)[1])
    if path.suffix == ".fpl":  # .<name>.<random>.fpl beside <name>
        path = path.with_name(path.name[1:].rsplit(".", 2)[0])
    return path.relative_to(root.resolve()).as_posix()


def _stop_at(root: Path, event: str, count: int, signum: int) -> tuple[int, str, list[str]]:
    """Run the driver in ``root``; at the ``count``-th ``event`` send ``signum``. Its exit
    code, its stderr and the events up to the signal."""
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, *UNSAFE],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stderr is not None
    seen: list[str] = []
    try:
        while True:
            line = process.stderr.readline()
            assert line, f"fix ended before {event} #{count}; saw {seen}"
            if not line.startswith("@"):
                continue
            seen.append(line[1:].rstrip("\n"))
            if sum(e.split(" ")[0] == event for e in seen) == count:
                break
            process.stdin.write("go\n")  # not yet: carry on to the next pause
            process.stdin.flush()
        process.send_signal(signum)
        process.stdin.write("go\n")
        process.stdin.close()
        rest = process.stderr.read()
        return process.wait(timeout=120), rest, seen
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


MOMENTS = [("analysed", 1), ("stage", 1), ("replace", 2), ("stage", 4), ("replace", 7)]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="the driver reads /proc/self/fd")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(("event", "count"), MOMENTS, ids=[f"{e}{c}" for e, c in MOMENTS])
def test_a_signal_at_any_moment_leaves_files_old_or_new(
    tree: Tree, tmp_path: Path, event: str, count: int, signum: int
) -> None:
    """Signals are held while a group is written: the files whose write had begun when the
    signal came (with the rest of their group) are new, every other file is old."""
    root = tree.make(tmp_path)
    code, stderr, seen = _stop_at(root, event, count, signum)
    assert code == 128 + signum, stderr
    what = "interrupted" if signum == signal.SIGINT else "terminated"
    assert f"fastapi-pool-lint: {what}" in stderr
    assert "Traceback" not in stderr
    begun = {_relative(root, e) for e in seen if e != "analysed"}
    if begun & set(GROUP):
        begun |= set(GROUP)
    assert tree.check_state(root) == begun
    assert len(begun) >= (0 if event == "analysed" else count)


def test_signals_at_increasing_delays_leave_files_old_or_new(tree: Tree, tmp_path: Path) -> None:
    """The real command, stopped after increasing fractions of an uninterrupted run's length
    (no assertion on timing: the delays only spread the moments). A signal that comes before
    the interpreter runs our code, or once the run is over and the interpreter shuts down,
    kills it (exit -signal): nothing or everything is written then."""
    command = [sys.executable, "-m", "fastapi_pool_lint", *UNSAFE]
    started = time.monotonic()
    subprocess.run(command, cwd=tree.make(tmp_path / "whole"), capture_output=True, check=True)
    length = time.monotonic() - started
    for n, fraction in enumerate([0.4, 0.6, 0.75, 0.85, 0.92, 1.0]):
        root = tree.make(tmp_path / f"run{n}")
        signum = (signal.SIGINT, signal.SIGTERM)[n % 2]
        process = subprocess.Popen(
            command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        time.sleep(length * fraction)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
        assert process.returncode in (0, 128 + signum, -signum), stderr
        assert "Traceback" not in stderr
        new = tree.check_state(root)
        if process.returncode == -signum:  # before our handlers were set, or after the run
            assert new in (set(), {*GROUP, *ENGINE_FILES})


def _with_timeout(new: bytes, timeout: str) -> bytes:
    """The reference fix (``pool_timeout=30``) with another ``--pool-timeout``."""
    return new.replace(b"pool_timeout=30", b"pool_timeout=" + timeout.encode())


def test_two_fix_runs_at_once_leave_every_file_fixed_by_one_of_them(
    tree: Tree, tmp_path: Path
) -> None:
    """``--pool-timeout 11`` and ``22`` at once: each file is the work of one run (a run that
    finds a file changed under it says so: exit 1 when it noticed before writing, 2 when its
    last check before the replacement did), the group is whole, and nothing is left to fix."""
    for round_ in range(3):
        root = tree.make(tmp_path / f"round{round_}")
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "fastapi_pool_lint", *UNSAFE, "--pool-timeout", timeout],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for timeout in ("11", "22")
        ]
        for run in runs:
            stdout, stderr = run.communicate(timeout=120)
            assert run.returncode in (0, 1, 2), (stdout, stderr)
            assert "Traceback" not in stderr and "internal error" not in stderr
            if run.returncode:  # it lost a race: found a file changed under it, said so
                assert "changed on disk" in stdout, stdout
        now = snapshot(root)
        author: dict[str, str] = {}
        for name, old in tree.old.items():
            if tree.new[name] == old:
                assert now[name] == old
                continue
            by = [t for t in ("11", "22") if now[name] == _with_timeout(tree.new[name], t)]
            assert by, f"{name} is not the work of either run:\n{now[name].decode()}"
            author[name] = by[0]
        assert len({author[name] for name in GROUP}) == 1, author
        assert _temporary_files(root) == []
        check = invoke(["check", "--format", "json", "."], root)
        assert (check.exit_code, json.loads(check.stdout)) == (0, [])
        assert invoke(UNSAFE, root).exit_code == 0
        assert snapshot(root) == now
