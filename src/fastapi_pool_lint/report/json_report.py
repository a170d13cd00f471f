"""Machine-readable output: a JSON array of findings."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..findings import Finding


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2)
