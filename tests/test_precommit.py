"""The pre-commit hooks, installed by pre-commit itself from this repository (``try-repo``).

``try-repo`` builds the hook's environment from the repository as it is (uncommitted changes to
tracked files included) with pip, so it needs the package index, nothing else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .frontdoor_helpers import BIN, as_project, cli_found, env, fixture_cases, run

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "projects" / "fpl001_cross_module"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")


def _git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=test@example.com", "-c", "user.name=test", *args],
        cwd=project, check=True, capture_output=True, env=env(),
    )


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    project = as_project(FIXTURE, tmp_path)
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "fixture")
    return project


def _try_repo(project: Path, home: Path, hook: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "pre-commit"), "try-repo", str(REPO), hook, *args]
    proc = subprocess.run(
        command, cwd=project, capture_output=True, text=True, timeout=900, check=False,
        env={**env(), "PRE_COMMIT_HOME": str(home)},
    )
    assert "An error has occurred" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def test_hook_manifest_defines_both_hooks() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"fastapi-pool-lint", "fastapi-pool-lint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types"] == ["python"]
        assert hook["require_serial"] is True
    assert hooks["fastapi-pool-lint"]["entry"] == "fastapi-pool-lint check"
    assert hooks["fastapi-pool-lint-fix"]["entry"] == "fastapi-pool-lint fix"


def test_all_files_report_what_the_cli_reports(repository: Path, pre_commit_home: Path) -> None:
    proc = _try_repo(repository, pre_commit_home, "fastapi-pool-lint", "--all-files")
    assert proc.returncode == 1, proc.stdout
    cli = run([str(BIN / "fastapi-pool-lint"), "check", "-q"], repository)
    assert cli.returncode == 1
    reported = [line for line in proc.stdout.splitlines() if ": FPL" in line]
    assert reported == [line for line in cli.stdout.splitlines() if ": FPL" in line]
    assert any(line.startswith("app/database.py:10:1: FPL001") for line in reported)


def test_one_staged_file_is_analysed_with_its_project(
    repository: Path, pre_commit_home: Path
) -> None:
    # The route module alone: FPL001 lands in database.py, which is not staged.
    items = repository / "app" / "routers" / "items.py"
    items.write_text(items.read_text() + "\n# touched\n")
    _git(repository, "add", str(items))
    proc = _try_repo(repository, pre_commit_home, "fastapi-pool-lint")
    assert proc.returncode == 0, proc.stdout
    assert "FPL" not in proc.stdout.replace("fastapi-pool-lint", "")
    _git(repository, "commit", "-q", "-m", "touch items")
    # database.py alone: the injection it is reported for is in another (unstaged) module.
    database = repository / "app" / "database.py"
    database.write_text(database.read_text() + "\n# touched\n")
    _git(repository, "add", str(database))
    proc = _try_repo(repository, pre_commit_home, "fastapi-pool-lint")
    assert proc.returncode == 1, proc.stdout
    assert "app/database.py:10:1: FPL001" in proc.stdout
    assert "app/routers/items.py" in proc.stdout  # the related location, outside the staged file


def test_fix_hook_runs_when_the_fix_command_exists(
    repository: Path, pre_commit_home: Path
) -> None:
    has_fix = run([str(BIN / "fastapi-pool-lint"), "fix", "--help"], repository).returncode == 0
    if not has_fix:
        pytest.skip("the fix command is not part of this build yet")
    proc = _try_repo(repository, pre_commit_home, "fastapi-pool-lint-fix", "--all-files")
    assert proc.returncode in (0, 1), proc.stdout


FINDING = re.compile(r"^(?P<path>\S+?):(?P<line>\d+):\d+: (?P<code>FPL\d{3}) ", re.MULTILINE)


def test_every_fixture_reports_what_the_cli_reports(tmp_path: Path, pre_commit_home: Path) -> None:
    """All fixtures, each a project of its own (with its own configuration), in one repository:
    one hook run sees every file and must report what ``check`` reports project by project."""
    repository = tmp_path / "monorepo"
    repository.mkdir()
    expected = set()
    for case in fixture_cases():
        project = as_project(case, repository)
        found, _ = cli_found(project)
        expected |= {(f"{project.name}/{path}", line, code) for path, line, code in found}
    _git(repository, "init", "-q")
    _git(repository, "add", "-A")
    _git(repository, "commit", "-q", "-m", "fixtures")
    proc = _try_repo(repository, pre_commit_home, "fastapi-pool-lint", "--all-files")
    assert proc.returncode == 1, proc.stdout
    reported = {
        (m.group("path"), int(m.group("line")), m.group("code"))
        for m in FINDING.finditer(proc.stdout)
    }
    assert expected and reported == expected
