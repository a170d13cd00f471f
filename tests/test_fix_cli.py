"""The ``fix`` command and ``check --fix``: exit codes, options, output, and what they never do."""

from __future__ import annotations

import json
import shutil
import stat
from dataclasses import dataclass, replace
from pathlib import Path

import libcst as cst
import pytest

from fastapi_pool_lint import fixing
from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.findings import Edit, Span
from fastapi_pool_lint.fixes.base import CannotFix, NodeChange
from fastapi_pool_lint.fixes.edits import apply_edits
from fastapi_pool_lint.parsing import parse_source
from fastapi_pool_lint.pipeline import run_check
from fastapi_pool_lint.scope import ScopedResult

from .fixhelpers import FixCase, fix_cases, invoke, snapshot

ENGINES = """\
from sqlalchemy import create_engine

primary = create_engine("postgresql://app@db/app")
replica = create_engine("postgresql://app@replica/app", pool_timeout=None)
"""
CLEAN = 'from sqlalchemy import create_engine\n\nengine = create_engine("sqlite://")\n'


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_fix_applies_safe_fixes_and_exits_1_while_findings_are_left(tmp_path: Path) -> None:
    work = _project(tmp_path, {"db.py": ENGINES, "clean.py": CLEAN})
    result = invoke(["fix", "."], work)
    assert result.exit_code == 1
    assert "pool_timeout=30)" in (work / "db.py").read_text()
    assert "pool_timeout=None" in (work / "db.py").read_text()
    assert "left: 4:11 FPL003 unsafe fix, applied only with --unsafe-fixes" in result.stdout
    assert (work / "clean.py").read_text() == CLEAN
    assert invoke(["fix", "--unsafe-fixes", "."], work).exit_code == 0
    assert invoke(["fix", "."], work).exit_code == 0


def test_fix_diff_exit_codes(tmp_path: Path) -> None:
    work = _project(tmp_path, {"db.py": ENGINES})
    result = invoke(["fix", "--diff", "."], work)
    assert result.exit_code == 1
    assert result.stdout.startswith("--- a/db.py\n+++ b/db.py\n")
    assert "Would fix 1 of 2 findings in 1 file; 1 left." in result.stderr
    assert (work / "db.py").read_text() == ENGINES
    clean = _project(tmp_path / "clean", {"clean.py": CLEAN})
    result = invoke(["fix", "--diff", "."], clean)
    assert (result.exit_code, result.stdout) == (0, "")


def test_select_and_ignore_limit_what_is_fixed(tmp_path: Path) -> None:
    work = _project(tmp_path, {"db.py": ENGINES})
    result = invoke(["fix", "--unsafe-fixes", "--select", "FPL003", "--diff", "."], work)
    assert "pool_timeout=30" in result.stdout and "FPL004" not in result.stderr
    result = invoke(["fix", "--unsafe-fixes", "--ignore", "FPL003", "--diff", "."], work)
    assert "+replica" not in result.stdout and "FPL003" not in result.stderr
    assert invoke(["fix", "--select", "FPL999", "."], work).exit_code == 2
    assert invoke(["fix", "--pool-timeout", "0", "."], work).exit_code == 2


def test_a_file_that_does_not_parse_is_reported_and_the_others_are_fixed(tmp_path: Path) -> None:
    work = _project(tmp_path, {"db.py": ENGINES, "broken.py": "def (:\n"})
    result = invoke(["fix", "--unsafe-fixes", "."], work)
    assert result.exit_code == 2
    assert "broken.py: cannot parse" in result.stderr
    assert "pool_timeout=None" not in (work / "db.py").read_text()


def test_check_fix_reports_what_is_left(tmp_path: Path) -> None:
    work = _project(tmp_path, {"db.py": ENGINES})
    result = invoke(["check", "--fix", "."], work)
    assert result.exit_code == 1
    assert "fixed: 3:11 FPL004" in result.stderr
    assert "db.py:4:11: FPL003" in result.stdout and "FPL004" not in result.stdout
    result = invoke(["check", "--fix", "--unsafe-fixes", "--pool-timeout", "5", "."], work)
    assert result.exit_code == 0
    assert "pool_timeout=5" in (work / "db.py").read_text()
    assert "No findings" in result.stdout


def test_check_diff_shows_the_fixes_and_writes_nothing(tmp_path: Path) -> None:
    work = _project(tmp_path, {"db.py": ENGINES})
    result = invoke(["check", "--diff", "--unsafe-fixes", "."], work)
    assert result.exit_code == 1
    assert "+replica" in result.stdout
    assert (work / "db.py").read_text() == ENGINES


@pytest.mark.parametrize("case", fix_cases(), ids=lambda c: c.name)
def test_json_fixes_carry_edits_that_apply(case: FixCase, tmp_path: Path) -> None:
    work = case.materialise(tmp_path)
    result = invoke(["check", "--format", "json", "."], work)
    findings = json.loads(result.stdout)
    assert findings
    for finding in findings:
        fix = finding["fix"]
        assert fix["applicability"] in ("safe", "unsafe", "display-only")
        if fix["applicability"] == "display-only":
            assert fix["edits"] == []
            assert fix["message"].startswith("No automatic fix")
            continue
        assert fix["edits"]
        by_path: dict[str, list[dict[str, object]]] = {}
        for edit in fix["edits"]:
            by_path.setdefault(str(edit["path"]), []).append(edit)
        for path, edits in by_path.items():
            text = parse_source((work / path).read_bytes()).code
            edited = apply_edits(text, [_edit(e) for e in edits])
            parse_source(edited.encode())


def _edit(data: dict[str, object]) -> Edit:
    numbers = [data[k] for k in ("line", "column", "end_line", "end_column")]
    assert all(isinstance(n, int) for n in numbers)
    return Edit(str(data["path"]), Span(*numbers), str(data["content"]))  # type: ignore[arg-type]


def test_a_multi_file_fix_is_not_applied_when_one_of_its_files_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = next(c for c in fix_cases() if c.name == "fpl001_package")
    work = case.materialise(tmp_path)
    users = work / "app" / "routers" / "users.py"
    real_check_paths = fixing.check_paths

    def check_then_edit(*args: object, **kwargs: object) -> ScopedResult:
        scoped = real_check_paths(*args, **kwargs)  # type: ignore[arg-type]
        users.write_text(users.read_text() + "# edited meanwhile\n")
        return scoped

    monkeypatch.setattr(fixing, "check_paths", check_then_edit)
    before = snapshot(work)
    result = invoke(["fix", "--unsafe-fixes", "."], work)
    assert result.exit_code == 1
    assert "app/routers/users.py changed on disk since it was analysed" in result.stdout
    after = snapshot(work)
    assert after["app/routers/items.py"] == before["app/routers/items.py"]
    assert after["app/routers/users.py"] == before["app/routers/users.py"] + b"# edited meanwhile\n"


ROUTE = """from fastapi import Depends, FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://app@db/app", pool_timeout=30)
SessionLocal = sessionmaker(bind=engine)
app = FastAPI()


def get_db():
\twith SessionLocal() as db:
\t\tyield db


@app.get("/", response_model=dict)
def index(db: Session = Depends(get_db)):
\t\"\"\"Caf\u00e9.\"\"\"
\treturn {"caf\u00e9": 1}
"""


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("crlf.py", lambda text: text.replace("\n", "\r\n").encode()),
        ("bom.py", lambda text: b"\xef\xbb\xbf" + text.encode()),
        ("latin.py", lambda text: ("# -*- coding: latin-1 -*-\n" + text).encode("latin-1")),
    ],
)
def test_encoding_bom_newlines_indentation_and_mode_are_kept(
    tmp_path: Path, name: str, encode: object
) -> None:
    path = tmp_path / name
    path.write_bytes(encode(ROUTE))  # type: ignore[operator]
    path.chmod(0o640)
    assert invoke(["fix", "--unsafe-fixes", "."], tmp_path).exit_code == 0
    expected = ROUTE.replace(
        'def index(db: Session = Depends(get_db)):\n\t"""Caf\u00e9."""\n\treturn',
        'def index():\n\t"""Caf\u00e9."""\n\twith SessionLocal() as db:\n\t\treturn',
    )
    expected = expected.replace("Depends, FastAPI", "FastAPI").replace("Session, sessionmaker", "sessionmaker")
    assert path.read_bytes() == encode(expected)  # type: ignore[operator]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_fix_works_on_the_bundled_examples(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    work = tmp_path / "examples"
    shutil.copytree(examples, work)
    result = invoke(["fix", "--unsafe-fixes", "."], work)
    assert result.exit_code == 1, result.stdout
    assert "left: 42:1 FPL001 No automatic fix: route `index`: the route is async" in result.stdout
    left = [(f.location.path, f.code) for f in run_check([work], Settings(), work).findings]
    assert left == [("async_route/app.py", "FPL001")]  # its blocking call is off the loop now
    assert "await run_in_threadpool(db.execute" in (work / "async_route" / "app.py").read_text()


@dataclass(frozen=True)
class _Broken(NodeChange):
    def transform(self, node: cst.CSTNode) -> cst.CSTNode:
        raise CannotFix("planned on code that is not there")


def test_a_fix_that_does_not_apply_is_left_and_the_others_are_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = _project(tmp_path, {"db.py": ENGINES})
    real_check_paths = fixing.check_paths

    def check_with_a_broken_plan(*args: object, **kwargs: object) -> ScopedResult:
        scoped = real_check_paths(*args, **kwargs)  # type: ignore[arg-type]
        result = scoped.result
        findings = list(result.findings)
        first = findings[0]
        assert first.fix is not None and first.fix.plan is not None
        plan = first.fix.plan
        broken = replace(plan, changes=(*plan.changes, _Broken(plan.changes[0].module, first.location.node)))
        findings[0] = replace(first, fix=replace(first.fix, plan=broken))
        return replace(scoped, result=replace(result, findings=findings))

    monkeypatch.setattr(fixing, "check_paths", check_with_a_broken_plan)
    result = invoke(["fix", "--unsafe-fixes", "."], work)
    assert result.exit_code == 1
    assert "left: 3:11 FPL004 not applied: planned on code" in result.stdout
    assert "fixed: 4:11 FPL003" in result.stdout
    text = (work / "db.py").read_text()
    assert 'create_engine("postgresql://app@db/app")' in text and "pool_timeout=30)" in text


def test_nothing_to_fix(tmp_path: Path) -> None:
    work = _project(tmp_path, {"clean.py": CLEAN})
    result = invoke(["fix", "."], work)
    assert (result.exit_code, result.stdout) == (0, "No findings in 1 file.\n")


def test_refused_sync_routes_get_their_rewrite_as_display_only_text(tmp_path: Path) -> None:
    case = next(c for c in fix_cases() if c.name == "fpl001_refusals")
    work = case.materialise(tmp_path)
    (finding,) = [f for f in json.loads(invoke(["check", "--format", "json", "."], work).stdout)]
    suggestion = finding["fix"]["suggestion"]
    assert (
        "def background(tasks: BackgroundTasks) -> dict:\n"
        "    with SessionLocal() as db:\n"
        "        tasks.add_task(audit, db)\n"
    ) in suggestion
    assert "async_route" not in suggestion  # async routes are FPL002's to fix
    assert "def listed" not in suggestion  # it does not use the session


def test_the_pool_timeout_comes_from_the_configuration(tmp_path: Path) -> None:
    work = _project(
        tmp_path,
        {"db.py": ENGINES, "pyproject.toml": "[tool.fastapi-pool-lint]\nfix-pool-timeout = 7\n"},
    )
    result = invoke(["fix", "--unsafe-fixes", "--diff", "."], work)
    assert "+replica = create_engine(\"postgresql://app@replica/app\", pool_timeout=7)" in result.stdout
    result = invoke(["fix", "--unsafe-fixes", "--diff", "--pool-timeout", "9", "."], work)
    assert "pool_timeout=9)" in result.stdout
    (work / "pyproject.toml").write_text("[tool.fastapi-pool-lint]\nfix-pool-timeout = 0\n")
    result = invoke(["fix", "."], work)
    assert result.exit_code == 2 and "fix-pool-timeout must be a whole number" in result.stderr


def test_a_fix_never_edits_files_outside_the_paths_given(tmp_path: Path) -> None:
    case = next(c for c in fix_cases() if c.name == "fpl001_package")
    work = case.materialise(tmp_path)
    (work / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    before = snapshot(work)
    result = invoke(["fix", "--unsafe-fixes", "app/deps.py"], work)
    assert result.exit_code == 1
    assert "the fix also edits app/routers/items.py, app/routers/users.py, outside the paths given" in result.stdout
    assert snapshot(work) == before
    result = invoke(["fix", "--unsafe-fixes", "app"], work)
    assert result.exit_code == 0, result.stdout
    assert snapshot(work)["app/routers/users.py"] != before["app/routers/users.py"]
