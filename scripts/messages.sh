#!/usr/bin/env bash
# Refresh and compile the English catalogues: one per app (src/rmdesk/<app>/locale) plus the
# project's own templates (src/rmdesk/locale). Chinese is the source language (docs/decisions.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
root=$PWD
apps=()
for d in src/rmdesk/*/; do
  app=$(basename "$d")
  [ -f "$d/apps.py" ] || continue
  apps+=("$app")
  mkdir -p "$d/locale"
  (cd "$d" && "$root/$PY" "$root/manage.py" makemessages -l en --no-obsolete -v0)
done
ignores=()
for a in "${apps[@]}"; do ignores+=(--ignore "$a/*"); done
(cd src/rmdesk && "$root/$PY" "$root/manage.py" makemessages -l en --no-obsolete -v0 "${ignores[@]}")
"$PY" manage.py compilemessages -l en -v0
