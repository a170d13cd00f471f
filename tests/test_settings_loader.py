"""``[tool.fastapi-pool-lint]``: discovery, validation, command-line overrides, and each key's
effect on the findings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fastapi_pool_lint.config import PerFileIgnore, Settings
from fastapi_pool_lint.pipeline import run_check
from fastapi_pool_lint.settings_loader import (
    ConfigError,
    discover_settings,
    find_config,
    load_config,
    with_overrides,
)

from .conftest import FIXTURES
from .frontdoor_helpers import BIN, as_project, run

EXTENSIONS = FIXTURES / "projects" / "config_extensions"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_key_is_read(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "pyproject.toml",
        """
[tool.fastapi-pool-lint]
select = ["FPL00"]
ignore = ["FPL004"]
extend-select = ["FPL004"]
extend-exclude = ["migrations/", "*_pb2.py"]
per-file-ignores = { "tests/**" = ["FPL002", "FPL001"], "scripts/*.py" = "FPL004" }
max-helper-depth = 3
session-factories = ["corp.db.new_session"]
blocking-methods = ["Session.upsert", "Query.paginate_all"]
""",
    )
    settings = load_config(config)
    assert settings == Settings(
        select=frozenset({"FPL00"}),
        ignore=frozenset({"FPL004"}),
        extend_select=frozenset({"FPL004"}),
        extend_exclude=("migrations/", "*_pb2.py"),
        per_file_ignores=(
            PerFileIgnore("tests/**", frozenset({"FPL001", "FPL002"})),
            PerFileIgnore("scripts/*.py", frozenset({"FPL004"})),
        ),
        max_helper_depth=3,
        base=tmp_path.resolve(),
        session_factories=frozenset({"corp.db.new_session"}),
        blocking_methods=frozenset({("session", "upsert"), ("query", "paginate_all")}),
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('selct = ["FPL001"]', "unknown key 'selct' in [tool.fastapi-pool-lint]; did you mean 'select'?"),
        ('colour = "red"', "unknown key 'colour'"),
        ('select = ["FPL009"]', "select: unknown rule code 'FPL009'"),
        ("select = 1", "select must be a list of strings"),
        ("ignore = [1]", "ignore must be a list of strings"),
        ('max-helper-depth = "6"', "max-helper-depth must be an integer from 0 to 50"),
        ("max-helper-depth = -1", "max-helper-depth must be an integer from 0 to 50"),
        ("max-helper-depth = true", "max-helper-depth must be an integer"),
        ('per-file-ignores = ["tests/*"]', "per-file-ignores must be a table"),
        ('per-file-ignores = { "tests/*" = ["XYZ1"] }', "unknown rule code 'XYZ1'"),
        ('extend-exclude = [""]', "extend-exclude: empty pattern"),
        ('session-factories = ["new_session"]', "session-factories: 'new_session' is not a qualified name"),
        ('blocking-methods = ["session.upsert"]', "blocking-methods: 'session.upsert' must be Kind.method"),
        ('blocking-methods = ["Session."]', "must be Kind.method"),
    ],
)
def test_bad_configuration_names_the_key(tmp_path: Path, body: str, message: str) -> None:
    config = _write(tmp_path / "pyproject.toml", f"[tool.fastapi-pool-lint]\n{body}\n")
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert message in str(error.value)
    assert str(config) in str(error.value)


def test_cli_exits_2_without_traceback(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[tool.fastapi-pool-lint]\nmax-helper-depth = "deep"\n')
    _write(tmp_path / "app.py", "x = 1\n")
    proc = run([str(BIN / "fastapi-pool-lint"), "check"], tmp_path)
    assert proc.returncode == 2
    assert "max-helper-depth must be an integer" in proc.stderr
    assert "Traceback" not in proc.stderr
    _write(tmp_path / "pyproject.toml", "[tool.fastapi-pool-lint\n")
    proc = run([str(BIN / "fastapi-pool-lint"), "check"], tmp_path)
    assert proc.returncode == 2
    assert "invalid TOML" in proc.stderr


def test_config_option(tmp_path: Path) -> None:
    _write(tmp_path / "app.py", "x = 1\n")
    for args, message in [
        (["--config", str(tmp_path / "missing.toml")], "configuration file not found"),
        (["--config", str(_write(tmp_path / "other.toml", "[tool.black]\n"))], "no [tool.fastapi-pool-lint] table"),
    ]:
        proc = run([str(BIN / "fastapi-pool-lint"), "check", *args], tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr


def test_discovery_walks_up_to_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    service = repo / "services" / "api"
    app = _write(service / "app" / "main.py", "x = 1\n")
    _write(service / "pyproject.toml", "[project]\nname = 'api'\n")  # no table: keep walking
    assert find_config(app.parent) is None
    top = _write(repo / "pyproject.toml", "[tool.fastapi-pool-lint]\nignore = ['FPL004']\n")
    find_config.cache_clear()
    assert find_config(app.parent) == top
    _write(tmp_path / "pyproject.toml", "[tool.fastapi-pool-lint]\nignore = ['FPL003']\n")
    (repo / "pyproject.toml").unlink()
    find_config.cache_clear()
    assert find_config(app.parent) is None  # never above the repository root
    settings, path = discover_settings(app)
    assert path is None and settings == Settings()


@pytest.mark.parametrize(
    ("select", "ignore", "extend", "enabled"),
    [
        (None, set(), set(), {"FPL001", "FPL002", "FPL003", "FPL004"}),
        ({"FPL001"}, set(), set(), {"FPL001"}),
        (None, {"FPL00"}, set(), set()),
        ({"FPL002"}, {"FPL"}, set(), {"FPL002"}),  # the more specific prefix wins
        ({"FPL"}, {"FPL004"}, set(), {"FPL001", "FPL002", "FPL003"}),
        ({"FPL001"}, set(), {"FPL004"}, {"FPL001", "FPL004"}),
        ({"FPL004"}, {"FPL004"}, set(), set()),  # a tie goes to ignore
    ],
)
def test_selection(
    select: set[str] | None, ignore: set[str], extend: set[str], enabled: set[str]
) -> None:
    settings = Settings(
        select=frozenset(select) if select is not None else None,
        ignore=frozenset(ignore),
        extend_select=frozenset(extend),
    )
    codes = {"FPL001", "FPL002", "FPL003", "FPL004"}
    assert {code for code in codes if settings.enabled(code)} == enabled


def test_command_line_overrides() -> None:
    configured = Settings(
        select=frozenset({"FPL001"}), ignore=frozenset({"FPL003"}), extend_select=frozenset({"FPL002"})
    )
    selected = with_overrides(configured, select=frozenset({"FPL004"}))
    assert selected.select == {"FPL004"} and selected.extend_select == frozenset()
    assert selected.ignore == {"FPL003"}
    added = with_overrides(configured, ignore=frozenset({"FPL002"}), extend_select=frozenset({"FPL004"}))
    assert added.ignore == {"FPL002", "FPL003"}
    assert added.extend_select == {"FPL002", "FPL004"}


def _lines(settings: Settings) -> set[int]:
    project = EXTENSIONS.resolve()
    result = run_check([project], settings, project)
    return {f.location.span.line for f in result.findings if f.location.path == "app/main.py"}  # type: ignore[union-attr]


def test_each_extension_key_changes_the_findings() -> None:
    configured, _ = discover_settings(EXTENSIONS)
    full = _lines(configured)
    assert full == {37, 43, 50, 54, 68}
    without_factories = replace(configured, session_factories=frozenset({"corp_db.sessions.new_session"}))
    assert full - _lines(without_factories) == {43}  # app.db.open_session is a factory
    assert full - _lines(replace(configured, blocking_methods=frozenset())) == {50, 54}
    assert _lines(replace(configured, max_helper_depth=6)) - full == {69}  # three helpers deep


def test_extend_exclude_removes_files_from_the_project(tmp_path: Path) -> None:
    project = as_project(FIXTURES / "projects" / "suppressions", tmp_path)
    settings, _ = discover_settings(project)
    result = run_check([project], settings, project)
    paths = {p.relative_to(project).as_posix() for p in result.files}
    assert "legacy/old_engine.py" not in paths and "app/generated_models.py" not in paths
    assert "app/db.py" in paths
    everything = run_check([project], replace(settings, extend_exclude=()), project)
    assert {"legacy/old_engine.py", "app/generated_models.py"} <= {
        f.location.path for f in everything.findings
    }
    # Named explicitly, an excluded file is still excluded (as pre-commit passes it).
    proc = run([str(BIN / "fastapi-pool-lint"), "check", "legacy/old_engine.py"], project)
    assert proc.returncode == 0, proc.stdout
    assert "skipped" in proc.stderr


def test_patterns_of_a_config_option_file_are_relative_to_the_working_directory(
    tmp_path: Path,
) -> None:
    project = as_project(FIXTURES / "projects" / "suppressions", tmp_path)
    shared = _write(
        tmp_path / "shared" / "team.toml",
        '[tool.fastapi-pool-lint]\nper-file-ignores = { "scripts/*.py" = ["FPL003"] }\n',
    )
    proc = run([str(BIN / "fastapi-pool-lint"), "check", "-q", "--config", str(shared)], project)
    assert "scripts/seed.py" in proc.stdout
    assert ": FPL003 " not in "".join(
        line for line in proc.stdout.splitlines() if line.startswith("scripts/")
    )
    flake8 = run(
        [str(BIN / "flake8"), "--select", "FPL", f"--fastapi-pool-lint-config={shared}", "."], project
    )
    cli = {line.split(": ", 1)[0] for line in proc.stdout.splitlines()}
    assert {line.split(": ", 1)[0].removeprefix("./") for line in flake8.stdout.splitlines()} == cli
