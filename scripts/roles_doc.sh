#!/usr/bin/env bash
# Refresh the role × action table at the end of docs/roles.md from the business actions' declarations.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
head=$(sed '/^| action |/,$d' docs/roles.md)
{ printf '%s\n' "$head"; "$PY" manage.py role_table; } > docs/roles.md.new
mv docs/roles.md.new docs/roles.md
