"""The files a project's FastAPI / SQLAlchemy versions are read from (see :mod:`.versions`).

Kept apart from the readers, which need ``packaging``: the cache keys every run's result on these
files, including runs answered from the cache, which should import nothing more.
"""

LOCK_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock")
PYPROJECT_FILES = ("pyproject.toml",)
REQUIREMENTS_FILES = ("requirements.txt", "requirements-prod.txt", "requirements/base.txt")
# Every name, relative to a directory (one has a subdirectory).
DEPENDENCY_FILES = LOCK_FILES + PYPROJECT_FILES + REQUIREMENTS_FILES
