"""fastapi-pool-lint: find FastAPI + SQLAlchemy patterns that exhaust pools or block the loop."""

from __future__ import annotations

__version__ = "0.1.0"
