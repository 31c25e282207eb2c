#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# Create or refresh .venv with the pinned development tools (requirements-dev.txt).
# Prints the venv path. Re-installs only when requirements-dev.txt changed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${INCOPLAX_VENV:-$ROOT/.venv}

# shellcheck source=tests/utils/python.sh
. "$ROOT/tests/utils/python.sh"

find_python() {
  first_python "sys.version_info >= (3, 12)" "${INCOPLAX_PYTHON:-}" "$(pyenv prefix 3.12.1 2>/dev/null)/bin/python" \
               "$HOME/.pyenv/versions/3.12.1/bin/python" python3.12 python3.13 python3 \
    || { echo "No Python >= 3.12 found (ansible-core 2.21 needs it); set INCOPLAX_PYTHON" >&2; return 1; }
}

stamp=$(sha256sum "$ROOT/requirements-dev.txt" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/ansible-playbook" ] || [ "$(cat "$VENV/.requirements-stamp" 2>/dev/null)" != "$stamp" ]; then
  python=$(find_python)
  echo "Creating $VENV with $python" >&2
  [ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check uv==0.13.9 >&2
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" --compile-bytecode -r "$ROOT/requirements-dev.txt" >&2
  echo "$stamp" > "$VENV/.requirements-stamp"
fi
echo "$VENV"
