"""Parallel and cached runs report exactly what a plain run reports; the cache stays sound.

No timing here: speed is measured by ``benchmarks/run.py``. These tests pin what the speed-ups
must never change (findings, errors, spans, messages), how the cache invalidates, and how it
survives corruption, planted entries and concurrent runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.generate import generate

from fastapi_pool_lint import cache as cache_module
from fastapi_pool_lint import parallel
from fastapi_pool_lint.cache import CACHE_DIR_NAME, Cache, decode, encode, read_entry
from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.pipeline import CheckResult, run_check
from fastapi_pool_lint.settings_loader import discover_settings

from .conftest import FIXTURES
from .expectations import expected_in

MODES = [
    {"jobs": 1, "cache": False},
    {"jobs": 2, "cache": False},
    {"jobs": 2, "cache": True},  # cold: writes the cache
    {"jobs": 2, "cache": True},  # warm: the whole result from the cache
    {"jobs": 1, "cache": True},
]


def _check(root: Path, **options: object) -> CheckResult:
    settings, _ = discover_settings(root)  # the fixture's own [tool.fastapi-pool-lint], if any
    return run_check([root], settings, root, **options)  # type: ignore[arg-type]


def _cases() -> list[Path]:
    single = sorted((FIXTURES / "single").glob("*.py"))
    projects = FIXTURES / "projects"
    return single + (sorted(p for p in projects.iterdir() if p.is_dir()) if projects.is_dir() else [])


@pytest.fixture
def always_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use worker processes even for a handful of files."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 1)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated") / "svc"
    generate(root, 300, seed=7)
    return root


def _copy(case: Path, tmp_path: Path) -> Path:
    root = tmp_path / "case"
    root.mkdir()
    if case.is_dir():
        shutil.copytree(case, root, dirs_exist_ok=True)
    else:
        shutil.copy(case, root / case.name)
    return root


def _entries(root: Path, kind: str) -> list[Path]:
    base = Cache(root).base / kind
    return sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_fixture_findings_identical_in_every_mode(
    case: Path, tmp_path: Path, always_parallel: None
) -> None:
    root = _copy(case, tmp_path)
    results = [_check(root, **mode) for mode in MODES]
    found = {(f.location.path, f.location.span.line, f.code) for f in results[0].findings}  # type: ignore[union-attr]
    assert found == expected_in(root)
    for mode, result in zip(MODES[1:], results[1:]):
        assert result == results[0], mode
    assert results[3].stats.result_cached and not results[2].stats.result_cached


def test_generated_service_identical_in_every_mode(service: Path, tmp_path: Path) -> None:
    root = tmp_path / "svc"
    shutil.copytree(service, root)
    results = [_check(root, **mode) for mode in MODES]
    for mode, result in zip(MODES[1:], results[1:]):
        assert result == results[0], mode
    assert results[1].stats.summarised == results[1].stats.files == 300
    assert results[3].stats.result_cached


def test_generated_service_findings_match_its_markers(service: Path) -> None:
    result = _check(service, jobs=2)
    assert not result.errors
    found = {(f.location.path, f.location.span.line, f.code) for f in result.findings}  # type: ignore[union-attr]
    expected = expected_in(service)
    assert found == expected
    codes = {code for _, _, code in expected}
    assert codes == {"FPL001", "FPL002", "FPL003", "FPL004"}


def _service_copy(tmp_path: Path, modules: int = 40) -> Path:
    root = tmp_path / "svc"
    generate(root, modules, seed=11)
    return root


def test_changing_one_file_resummarises_only_that_file(tmp_path: Path) -> None:
    root = _service_copy(tmp_path)
    first = _check(root, jobs=2, cache=True)
    router = sorted(root.rglob("router.py"))[0]
    original = router.read_text()
    router.write_text(
        original
        + "\n\n@router.get('/extra')\nasync def extra(db: Session = Depends(get_db)):\n"
        + "    return db.execute('select 1')\n"
    )
    changed = _check(root, jobs=2, cache=True)
    assert changed.stats.summarised == 1 and not changed.stats.result_cached
    assert changed.stats.summaries_cached == changed.stats.files - 1
    assert changed.stats.located == 0, "the changed file's spans came with its summary"
    assert changed == _check(root, jobs=1), "same as an uncached run on the new content"
    assert len(changed.findings) == len(first.findings) + 1
    router.write_text(original)
    back = _check(root, jobs=2, cache=True)
    assert back.stats.result_cached and back == first


def test_dependency_files_and_settings_are_part_of_the_key(tmp_path: Path) -> None:
    root = _service_copy(tmp_path)
    _check(root, cache=True)
    assert _check(root, cache=True).stats.result_cached
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("fastapi>=0.110", "fastapi==0.80"))
    assert not _check(root, cache=True).stats.result_cached
    only = run_check([root], Settings(select=frozenset({"FPL004"})), root, cache=True)
    assert not only.stats.result_cached
    assert {f.code for f in only.findings} <= {"FPL004"}


def test_cache_directory_is_ignored_by_git_and_tagged(tmp_path: Path) -> None:
    root = _service_copy(tmp_path)
    _check(root, cache=True)
    directory = root / CACHE_DIR_NAME
    assert (directory / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (directory / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert not list(directory.rglob(".tmp-*")), "no temporary file left behind"


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    root = _service_copy(tmp_path)
    _check(root, jobs=2)
    assert not (root / CACHE_DIR_NAME).exists()


def _corruptions() -> Iterator[tuple[str, bytes]]:
    yield "empty", b""
    yield "garbage", b"\x00garbage" * 50
    yield "truncated", b""  # filled in from the real entry below
    yield "flipped", b""
    yield "other format", b"FPLC\x00\x09\r\n" + b"\x00" * 40


@pytest.mark.parametrize("kind", ["summaries", "spans", "results"])
@pytest.mark.parametrize("how", [name for name, _ in _corruptions()])
def test_corrupt_entries_are_ignored_and_rebuilt(tmp_path: Path, kind: str, how: str) -> None:
    root = _service_copy(tmp_path)
    expected = _check(root, jobs=2, cache=True)
    if kind != "results":  # reach the per-file entries: no whole result to short-cut them
        for entry in _entries(root, "results"):
            entry.unlink()
    entries = _entries(root, kind)
    assert entries
    for entry in entries:
        blob = entry.read_bytes()
        if how == "truncated":
            bad = blob[: len(blob) // 2]
        elif how == "flipped":
            bad = blob[:-1] + bytes([blob[-1] ^ 0xFF])
        else:
            bad = dict(_corruptions())[how]
        entry.write_bytes(bad)
        assert read_entry(entry) is None
    again = _check(root, jobs=2, cache=True)
    assert again == expected
    assert not again.stats.result_cached
    if kind == "summaries":
        assert again.stats.summarised == again.stats.files
    if kind == "spans":
        assert again.stats.located == len(entries) and again.stats.spans_cached == 0
    for entry in _entries(root, kind):
        assert read_entry(entry) is not None, "rebuilt"


class _Planted:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch planted-marker",))


def test_planted_pickle_is_never_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    payload = pickle.dumps(_Planted())
    forged = cache_module._MAGIC + hashlib.blake2b(payload, digest_size=16).digest() + payload
    assert decode(forged) is None
    assert not (tmp_path / "planted-marker").exists()


def test_entries_round_trip() -> None:
    from fastapi_pool_lint.findings import Span

    spans = (Span(1, 1, 2, 3), Span(4, 5, 6, 7))
    assert decode(encode(spans)) == spans
    assert decode(encode({"a": frozenset({1, 2})})) == {"a": frozenset({1, 2})}


def test_unusable_cache_directory_does_not_stop_the_run(tmp_path: Path) -> None:
    root = _service_copy(tmp_path)
    (root / CACHE_DIR_NAME).write_text("not a directory")
    assert _check(root, jobs=2, cache=True) == _check(root)


def _cli(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fastapi_pool_lint", "check", "--format", "json", *args, "."],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_concurrent_runs_agree_and_leave_a_sound_cache(tmp_path: Path) -> None:
    root = _service_copy(tmp_path, modules=120)
    reference = _cli(root, "--no-cache").communicate()[0]
    runs = [_cli(root, "--jobs", "2") for _ in range(4)]
    outputs = [run.communicate()[0] for run in runs]
    assert all(run.returncode == 1 for run in runs)
    assert all(json.loads(out) == json.loads(reference) for out in outputs)
    for kind in ("summaries", "spans", "results"):
        entries = _entries(root, kind)
        written = sorted(str(p.relative_to(root)) for p in (root / CACHE_DIR_NAME).glob("*/*"))
        assert entries, (kind, Cache(root).base, written)
        assert all(read_entry(e) is not None for e in entries)
    assert not list((root / CACHE_DIR_NAME).rglob(".tmp-*"))
    warm = [_cli(root, "--jobs", "2") for _ in range(3)]
    assert all(json.loads(run.communicate()[0]) == json.loads(reference) for run in warm)


def test_parse_errors_are_cached_and_reported_alike(tmp_path: Path) -> None:
    root = _service_copy(tmp_path)
    (root / "broken.py").write_text("def broken(:\n")
    cold = _check(root, jobs=2, cache=True)
    warm_summaries = run_check([root], Settings(select=frozenset({"FPL001"})), root, cache=True)
    assert [e.path for e in cold.errors] == ["broken.py"]
    assert warm_summaries.errors == cold.errors
    assert warm_summaries.stats.summarised == 0


def test_cache_clean_command(tmp_path: Path) -> None:
    root = _service_copy(tmp_path)
    _check(root, cache=True)
    command = [sys.executable, "-m", "fastapi_pool_lint", "cache", "clean"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
    assert "removed" in done.stdout and not (root / CACHE_DIR_NAME).exists()
    again = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
    assert "no cache" in again.stdout


def test_module_names_of_odd_file_names_are_stable_across_runs(tmp_path: Path) -> None:
    """A file name that is no identifier gets a made-up module name: the same in every process,
    or its cache key (and the whole result's) would change on every run."""
    (tmp_path / "run-migrations.py").write_text("import os\n")
    code = (
        "import sys; from pathlib import Path; from fastapi_pool_lint.discovery import discover;"
        "print(discover([Path(sys.argv[1])], Path(sys.argv[1]))[1][0].module)"
    )
    names = {
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)],
            capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(names) == 1
    _check(tmp_path, cache=True)
    assert _check(tmp_path, cache=True).stats.result_cached


def test_shared_leaves_keep_literal_types(tmp_path: Path) -> None:
    """``1``, ``True`` and ``1.0`` compare equal in Python; sharing must not merge them."""
    from fastapi_pool_lint.parsing import parse_source
    from fastapi_pool_lint.summary.builder import summarise
    from fastapi_pool_lint.summary.records import Const, ValueBinding

    module = parse_source(b"a = True\nb = 1\nc = 1.0\nd = False\ne = 0\n")
    summary, _ = summarise(module, path="m.py", module_name="m", is_package=False)
    values = {}
    for name in "abcde":
        binding = summary.body.bindings[name][0]
        assert isinstance(binding, ValueBinding) and isinstance(binding.value, Const)
        values[name] = binding.value.value
    assert [type(v) for v in values.values()] == [bool, int, float, bool, int]



STRINGS = "\n".join(
    [
        'a = "plain"',
        "b = 'single'",
        'c = """triple',
        'with lines"""',
        'd = r"raw \\d+"',
        'e = b"bytes"',
        'f = Rb"raw bytes \\x00"',
        'g = u"unicode \u00e9"',
        'h = "escape \\n \\t \\\\"',
        "i = ''",
        'j = "quote \' inside"',
        "k = \'\'\'tail\'\'\'",
        "",
    ]
)


def test_string_literal_fast_path_matches_evaluated_value() -> None:
    import sysconfig

    import libcst as cst

    from fastapi_pool_lint.summary.builder import _simple_string_value

    sources = [STRINGS]
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources += [(stdlib / name).read_text(encoding="utf-8") for name in ("argparse.py", "textwrap.py")]
    checked = 0
    for source in sources:
        for node in _simple_strings(cst.parse_module(source)):
            fast = _simple_string_value(node)
            if fast is not None:
                assert fast == node.evaluated_value, node.value
                checked += 1
    assert checked > 300


def _simple_strings(module: object) -> list[object]:
    import libcst as cst

    found: list[object] = []

    class Collect(cst.CSTVisitor):
        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            found.append(node)

    module.visit(Collect())  # type: ignore[attr-defined]
    return found


def test_env_hash_is_not_carried_across_processes() -> None:
    import copy

    from fastapi_pool_lint.model.evaluator import Env
    from fastapi_pool_lint.model.values import FunctionRef

    env = Env("m.py", "f", None, (("db", FunctionRef("m.py", "g")),))
    table = {env: 1}
    for clone in (pickle.loads(pickle.dumps(env)), copy.copy(env), copy.deepcopy(env)):
        assert "_hash" not in vars(clone)
        assert clone == env and table[clone] == 1


def test_no_model_is_alive_when_the_collector_resumes(
    service: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's summaries and model are freed by reference counting before the collector is
    re-enabled: else its first pass traverses all of them (0.5 s of CPU at 2,000 modules)."""
    import gc

    from fastapi_pool_lint import pipeline
    from fastapi_pool_lint.model.project import ProjectModel
    from fastapi_pool_lint.summary.records import ModuleSummary

    alive: list[object] = []

    class Spy:
        def __getattr__(self, name: str) -> object:
            return getattr(gc, name)

        def enable(self) -> None:
            alive.extend(
                o for o in gc.get_objects() if isinstance(o, (ProjectModel, ModuleSummary))
            )
            gc.enable()

    monkeypatch.setattr(pipeline, "gc", Spy())
    gc.enable()
    result = _check(service, jobs=1, cache=False)
    assert result.findings
    assert gc.isenabled()
    assert alive == []


def test_check_imports_only_what_it_needs(tmp_path: Path) -> None:
    """libcst's codemods cost every run 0.4 s of imports: only fix/--fix/--diff need them. A
    run answered from the cache imports neither libcst nor the model (nor the rules)."""
    case = _copy(FIXTURES / "projects" / "layered_service", tmp_path)
    shutil.rmtree(case / CACHE_DIR_NAME, ignore_errors=True)  # other tests may leave one there
    program = (
        "import sys\n"
        "from fastapi_pool_lint import cli\n"
        "def exit_here(code):\n"  # main() ends with os._exit: come back here instead
        "    raise SystemExit(code)\n"
        "cli._exit_now = exit_here\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "names = ('fastapi_pool_lint.fixing', 'libcst.codemod', 'libcst',\n"
        "         'fastapi_pool_lint.model.evaluator', 'fastapi_pool_lint.rules', 'packaging')\n"
        "print('LOADED', [m for m in names if m in sys.modules], file=sys.stderr)\n"
    )
    expected = {
        "cold": "LOADED ['libcst', 'fastapi_pool_lint.model.evaluator', 'fastapi_pool_lint.rules', "
        "'packaging']",
        "warm": "LOADED []",
    }
    for run, extra in (("cold", ["--no-cache"]), ("cold", []), ("warm", [])):
        done = subprocess.run(
            [sys.executable, "-c", program, "check", "-q", "--jobs", "1", *extra, str(case)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert expected[run] in done.stderr, (run, done.stderr)


def test_cache_stays_bounded_across_many_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every edit adds a summary, spans, calls and a whole result: without pruning the cache
    would grow with every run. Pruning never costs a finding, and never what the project uses
    now."""
    monkeypatch.setattr(cache_module, "MIN_FILE_ENTRIES", 4)
    monkeypatch.setattr(cache_module, "RESULTS_KEPT", 3)
    monkeypatch.setattr(cache_module, "CALLS_KEPT", 2)
    root = _service_copy(tmp_path, modules=20)
    files = sorted(p for p in root.rglob("*.py") if p.name != "__init__.py")
    for round_ in range(12):
        target = files[round_ % len(files)]
        target.write_text(target.read_text() + f"\n\ndef _edit_{round_}(value):\n    return value\n")
        assert _check(root, jobs=1, cache=True) == _check(root, jobs=1)
    live = len(list(root.rglob("*.py")))
    assert len(_entries(root, "results")) <= 3
    assert len(_entries(root, "calls")) <= 2
    # Live entries, plus a project's worth of others, plus what was written since the pruning.
    assert len(_entries(root, "summaries")) < 3 * live
    warm = _check(root, jobs=1, cache=True)
    assert warm.stats.result_cached, "the newest result survives"
    (root / "svc" / "__init__.py").write_text("# touched\n")
    again = _check(root, jobs=1, cache=True)
    assert again.stats.summarised == 1 and again.stats.summaries_cached == again.stats.files - 1


def test_other_tool_builds_namespaces_are_pruned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "MIN_FILE_ENTRIES", 1)
    root = _service_copy(tmp_path, modules=20)
    stale = []
    for age, name in enumerate(["v1-0.0.1-old", "v1-0.0.2-older", "v1-0.0.3-oldest"]):
        directory = root / CACHE_DIR_NAME / name / "summaries"
        directory.mkdir(parents=True)
        when = 1_000_000 - age * 1000
        os.utime(directory.parent, (when, when))
        stale.append(directory.parent)
    _check(root, jobs=1, cache=True)
    assert stale[0].exists(), "the most recently used other build is kept"
    assert not stale[1].exists() and not stale[2].exists()
    assert Cache(root).base.exists()
