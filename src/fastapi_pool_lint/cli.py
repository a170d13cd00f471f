"""The ``fastapi-pool-lint`` command line.

Exit codes: 0 no findings, 1 findings, 2 usage error or a file that could not be analysed (the
other files are still checked and reported; 2 wins over 1); 130 and 143 when stopped by SIGINT
or SIGTERM (a ``fix`` stopped so leaves every file old or new, see :mod:`.fixes.write`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, NoReturn, Optional, Union

import click

from . import __version__
from .config import Settings
from .discovery import DiscoveryError, display_path, find_project_root
from .parallel import default_jobs
from .pipeline import FileError
from .report.github import render_github
from .report.json_report import render_json
from .report.text import render_statistics, render_summary, render_text
from .scope import ScopedResult, check_paths
from .settings_loader import ConfigError, discover_settings, parse_codes, with_overrides
from .suppression import decode

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def _codes(values: tuple[str, ...], option: str) -> Optional[frozenset[str]]:
    """Parse ``--select FPL001,FPL002`` (repeatable); prefixes such as ``FPL00`` are allowed."""
    if not values:
        return None
    try:
        return parse_codes(values, option)
    except ConfigError as error:
        raise click.BadParameter(str(error).split(": ", 1)[-1], param_hint=option) from None


def _warn_if_nothing_checked(files_checked: int, targets: Sequence[Path]) -> None:
    if files_checked == 0:
        where = ", ".join(str(t) for t in targets)
        click.echo(f"fastapi-pool-lint: warning: no Python files to check in {where}", err=True)


def _problem(failure: FileError) -> str:
    """One line for a file that could not be analysed: read errors say so themselves."""
    if failure.reason.startswith("cannot read"):
        return f"{failure.path}: {failure.reason}"
    return f"{failure.path}: cannot parse: {failure.reason}"


def _fail(message: str) -> NoReturn:
    click.echo(f"fastapi-pool-lint: {message}", err=True)
    sys.exit(EXIT_ERROR)


class _SourceLines:
    """Physical lines of reported files, read once, for ``--show-source``."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self._files: dict[str, list[str]] = {}

    def __call__(self, display: str, line: int) -> Optional[str]:
        if display not in self._files:
            path = Path(display)
            try:
                text = decode((path if path.is_absolute() else self.cwd / path).read_bytes())
            except OSError:
                text = ""
            self._files[display] = text.splitlines()
        lines = self._files[display]
        return lines[line - 1] if 1 <= line <= len(lines) else None


def _render(scoped: ScopedResult, output_format: str, cwd: Path, *, quiet: bool,
            show_source: bool, statistics: bool, color: bool) -> str:
    result = scoped.result
    if output_format == "json":
        return render_json(result.findings)
    if output_format == "sarif":
        from .report.sarif import render_sarif  # imports the rules, hence the model

        return render_sarif(result.findings, result.errors, cwd)
    if output_format == "github":
        return render_github(result.findings, result.errors)
    parts = []
    if result.findings:
        reader = _SourceLines(cwd) if show_source else None
        parts.append(render_text(result.findings, color=color, read_line=reader))
    if statistics and result.findings:
        parts.append(render_statistics(result.findings))
    if not quiet:
        parts.append(render_summary(result.findings, result.files_checked))
        if result.errors:
            count = len(result.errors)
            parts.append(f"{count} {'path' if count == 1 else 'paths'} could not be analysed.")
    return "\n".join(parts)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fastapi-pool-lint")
def cli() -> None:
    """Find FastAPI + SQLAlchemy patterns that exhaust connection pools or block the event loop."""


# --------------------------------------------------------------------------- fix
def fix_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options ``fix`` and ``check --fix`` share."""
    options = (
        click.option("--diff", is_flag=True, help="Print a unified diff, write nothing (exit 1 if "
                     "there would be changes)."),
        click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change behaviour."),
        click.option("--pool-timeout", type=click.IntRange(min=1), default=None, metavar="SECONDS",
                     help="The timeout FPL003's fix writes instead of None (default 30)."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _run_fix(paths: Sequence[Path], settings: Union[Settings, Callable[[Path], Settings]],
             cwd: Path, *, diff: bool, unsafe_fixes: bool, pool_timeout: Optional[int],
             report_to_stderr: bool) -> int:
    # Imported here: fixing brings libcst's codemods (0.6 s of imports), which check never needs.
    from .fixing import exit_code as fix_exit_code
    from .fixing import render_diff, render_report, run_fix

    def settings_for(root: Path) -> Settings:
        chosen = settings(root) if callable(settings) else settings
        chosen = replace(chosen, plan_fixes=True)
        return replace(chosen, fix_pool_timeout=pool_timeout) if pool_timeout else chosen

    try:
        run = run_fix(list(paths) or [Path(".")], settings_for, cwd, unsafe=unsafe_fixes,
                      write=not diff)
    except (ConfigError, DiscoveryError) as problem:
        click.echo(f"fastapi-pool-lint: {problem}", err=True)
        return EXIT_ERROR
    for failure in run.result.errors:
        click.echo(_problem(failure), err=True)
    _warn_if_nothing_checked(run.result.files_checked, list(paths) or [Path(".")])
    if diff:
        click.echo(render_diff(run), nl=False)
    click.echo(render_report(run, dry_run=diff), err=diff or report_to_stderr)
    return fix_exit_code(run, dry_run=diff)


@cli.command(name="fix")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="A TOML file with [tool.fastapi-pool-lint] (default: the nearest pyproject.toml "
              "that has the table).")
@click.option("--select", multiple=True, help="Only fix these rule codes (comma-separated, prefixes).")
@click.option("--ignore", multiple=True, help="Skip these rule codes (comma-separated, prefixes).")
@click.option("--extend-select", multiple=True, help="Add rule codes to the selection.")
@fix_options
def fix(paths: tuple[Path, ...], config_path: Optional[Path], select: tuple[str, ...],
        ignore: tuple[str, ...], extend_select: tuple[str, ...], **fix_flags: Any) -> None:
    """Apply the automatic fixes to PATHS and print, per file, what was fixed and what was left.

    Like check, the whole project around PATHS is analysed; only files under PATHS are edited.
    Exit codes: 0 nothing left, 1 findings left (with --diff: there would be changes), 2 error.
    """
    overrides = {
        "select": _codes(select, "--select"),
        "ignore": _codes(ignore, "--ignore"),
        "extend_select": _codes(extend_select, "--extend-select"),
    }

    def settings_for(root: Path) -> Settings:
        return with_overrides(discover_settings(root, config_path)[0], **overrides)

    sys.exit(_run_fix(paths, settings_for, Path.cwd(), report_to_stderr=False, **fix_flags))


# --------------------------------------------------------------------------- check
@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="Output format: text, a JSON array, SARIF 2.1.0, or GitHub Actions annotations.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A TOML file with [tool.fastapi-pool-lint] (default: the nearest pyproject.toml "
    "that has the table, walking up from the first path).",
)
@click.option("--select", multiple=True, help="Only these rule codes (comma-separated, prefixes).")
@click.option("--ignore", multiple=True, help="Skip these rule codes (comma-separated, prefixes).")
@click.option("--extend-select", multiple=True, help="Add rule codes to the selection.")
@click.option("--show-source", is_flag=True, help="Show the source line of each finding.")
@click.option("--statistics", is_flag=True, help="Count the findings per rule.")
@click.option(
    "--output-file", "-o", type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file instead of standard output.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary line.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=0,
    help="Worker processes for parsing (default 0: one per CPU).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write .fastapi_pool_lint_cache/.")
@click.option("--fix", "apply_fix", is_flag=True, help="Apply fixes first, then report what is left.")
@fix_options
def check(
    paths: tuple[Path, ...],
    output_format: str,
    config_path: Optional[Path],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    show_source: bool,
    statistics: bool,
    output_file: Optional[Path],
    quiet: bool,
    exit_zero: bool,
    jobs: int,
    no_cache: bool,
    apply_fix: bool,
    **fix_flags: Any,
) -> None:
    """Analyse PATHS (files or directories, default: the current directory).

    The whole project around PATHS is analysed (the nearest directory above them with a
    pyproject.toml, setup.py, setup.cfg or .git); findings are reported for PATHS only. Each
    project reads its own [tool.fastapi-pool-lint] (the nearest pyproject.toml with the table,
    up to the repository root) unless --config names one file for all.
    """
    cwd = Path.cwd()
    targets = list(paths) or [Path(".")]
    cli_select = _codes(select, "--select")
    cli_ignore = _codes(ignore, "--ignore")
    cli_extend = _codes(extend_select, "--extend-select")

    def settings_for(root: Path) -> Settings:
        """The project's own table (or ``--config``), then the command-line options."""
        settings, _ = discover_settings(root, config_path)
        settings = with_overrides(
            settings, select=cli_select, ignore=cli_ignore, extend_select=cli_extend
        )
        # Only JSON and SARIF carry edits (text and GitHub annotations show none).
        return replace(settings, plan_fixes=output_format in ("json", "sarif"))

    if apply_fix or fix_flags["diff"]:
        code = _run_fix(targets, settings_for, cwd, report_to_stderr=True, **fix_flags)
        if fix_flags["diff"] or code == EXIT_ERROR:
            sys.exit(code)
    try:
        scoped = check_paths(
            targets, settings_for, cwd, jobs=jobs or default_jobs(), cache=not no_cache
        )
    except (ConfigError, DiscoveryError) as problem:
        _fail(str(problem))
    result = scoped.result
    for path in scoped.skipped:
        why = (
            "not a Python file (only .py files are analysed)"
            if path.suffix != ".py"
            else "not a .py file of the project (excluded by .gitignore or extend-exclude, or "
            "inside a skipped directory)"
        )
        click.echo(f"fastapi-pool-lint: {display_path(path, cwd)}: skipped: {why}", err=True)
    _warn_if_nothing_checked(result.files_checked, targets)
    for failure in result.errors:
        click.echo(_problem(failure), err=True)
    color = output_file is None and output_format == "text" and sys.stdout.isatty()
    report = _render(scoped, output_format, cwd, quiet=quiet, show_source=show_source,
                     statistics=statistics, color=color)
    if output_file is not None:
        try:
            output_file.write_text(report + "\n" if report else "", encoding="utf-8")
        except OSError as error:
            _fail(f"{output_file}: cannot write: {error.strerror or error}")
    elif report:
        click.echo(report)
    if result.errors:
        sys.exit(EXIT_ERROR)
    if result.findings and not exit_zero:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


@cli.group(name="cache")
def cache_group() -> None:
    """Manage the analysis cache (.fastapi_pool_lint_cache/ in the project root)."""


@cache_group.command(name="clean")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def cache_clean(path: Optional[Path]) -> None:
    """Remove the cache of the project holding PATH (default: the current directory)."""
    from .cache import CACHE_DIR_NAME, clean

    start = (path or Path(".")).resolve()
    if not start.exists():
        raise click.BadParameter(f"{path}: no such file or directory", param_hint="PATH")
    root = find_project_root([start])
    removed = clean(root)
    where = root / CACHE_DIR_NAME
    click.echo(f"removed {where}" if removed else f"no cache at {where}")


@cli.command(name="rules")
def list_rules() -> None:
    """List the rules with one-line summaries."""
    from .rules import ALL_RULES

    for rule in ALL_RULES:
        click.echo(f"{rule.code}  {rule.name:36s} {rule.summary}")


@cli.command(name="rule")
@click.argument("code")
def show_rule(code: str) -> None:
    """Show the documentation of rule CODE."""
    from .ruledocs import render_markdown
    from .rules import RULES_BY_CODE

    rule = RULES_BY_CODE.get(code.strip().upper())
    if rule is None:
        known = ", ".join(RULES_BY_CODE)
        raise click.BadParameter(f"unknown rule code {code!r} (known: {known})", param_hint="CODE")
    click.echo(render_markdown(rule))


class _Stopped(BaseException):
    """SIGINT or SIGTERM, raised where the program is so that cleanups run (temporary files
    go). Not a KeyboardInterrupt, which click would turn into exit code 1."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def _exit_now(code: object) -> NoReturn:
    """Exit with ``code`` as ``sys.exit`` would, without freeing the run's objects one by one
    (the model of a large project takes a tenth of a second to tear down): output is flushed,
    files were closed and the cache written when the run ended."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def main() -> None:
    for name in ("SIGINT", "SIGTERM"):
        with contextlib.suppress(ValueError, OSError, AttributeError):
            signal.signal(getattr(signal, name), _stop)
    from .pipeline import keep_run_objects_until_exit

    keep_run_objects_until_exit()  # this process ends right after its run: see _exit_now
    try:
        cli(prog_name="fastapi-pool-lint")
    except SystemExit as done:
        _exit_now(done.code)
    except (_Stopped, KeyboardInterrupt) as stop:
        signum = stop.signum if isinstance(stop, _Stopped) else signal.SIGINT
        what = "terminated" if signum == getattr(signal, "SIGTERM", None) else "interrupted"
        click.echo(f"fastapi-pool-lint: {what}", err=True)
        sys.exit(128 + signum)
    except Exception as error:  # a bug in the linter must not look like a finding
        click.echo(
            f"fastapi-pool-lint: internal error: {type(error).__name__}: {error}\n"
            "Please report it with the file that triggers it.",
            err=True,
        )
        sys.exit(EXIT_ERROR)
