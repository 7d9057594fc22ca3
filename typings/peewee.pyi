# Peewee builds its models' attributes (fields, backrefs, ``id``, ``DoesNotExist``,
# query results) at class creation; the stubs peewee 4 ships cannot describe them
# and report hundreds of false errors. mypy reads this file first (mypy_path in
# pyproject.toml): peewee is Any to the checker, and our own code stays checked.
from typing import Any

def __getattr__(name: str) -> Any: ...
