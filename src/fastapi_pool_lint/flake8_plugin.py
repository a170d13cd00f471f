"""The flake8 plugin: ``FPL`` codes from the same whole-project analysis as the CLI.

flake8 hands the plugin one file at a time (in several processes with ``--jobs``). For each
file the plugin finds its project root and its ``[tool.fastapi-pool-lint]`` settings exactly as
the CLI does, analyses that project once per process (``scope.project_findings`` caches by root
and settings) and yields the findings that land in this file. flake8 itself applies
``--select``/``--ignore``/``--extend-select``, its ``per-file-ignores`` and ``# noqa`` comments;
the plugin applies the ``[tool.fastapi-pool-lint]`` selection and ``per-file-ignores``, as the CLI
does. The file is analysed as it is on disk (flake8's ``stdin`` input is not analysed).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Optional

from . import __version__
from .config import Settings
from .discovery import find_project_root
from .scope import project_findings
from .settings_loader import ConfigError, discover_settings

Error = tuple[int, int, str, type]


class ConfigurationFailed(Exception):
    """A bad ``[tool.fastapi-pool-lint]`` table: flake8 reports it and stops."""


class FastAPIPoolLintChecker:
    name = "fastapi-pool-lint"
    version = __version__
    config_path: ClassVar[Optional[str]] = None

    def __init__(self, tree: ast.AST, filename: str) -> None:
        # Settings are read here, not in ``run``: flake8 reports an exception raised while it
        # builds the plugin as a one-line failure ("fastapi-pool-lint" failed ... due to ...),
        # while one raised during iteration would end in a traceback.
        self.path = Path(os.path.realpath(filename))
        self.settings: Optional[Settings] = None
        if self.path.is_file():
            config = Path(self.config_path) if self.config_path else None
            try:
                self.settings, _ = discover_settings(self.path, config)
            except ConfigError as error:
                raise ConfigurationFailed(str(error)) from None

    @classmethod
    def add_options(cls, parser: Any) -> None:
        parser.add_option(
            "--fastapi-pool-lint-config",
            default=None,
            parse_from_config=True,
            help="TOML file with [tool.fastapi-pool-lint] (default: the nearest pyproject.toml "
            "with the table, walking up from each file)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.config_path = getattr(options, "fastapi_pool_lint_config", None)

    def run(self) -> Iterator[Error]:
        if self.settings is None:
            return
        root = find_project_root([self.path])
        for finding in project_findings(root, self.settings).get(self.path, ()):
            span = finding.location.span
            line, column = (span.line, span.column) if span else (1, 1)
            # flake8 counts columns from 0 and adds 1 when it prints them.
            yield line, column - 1, f"{finding.code} {finding.message}", type(self)
