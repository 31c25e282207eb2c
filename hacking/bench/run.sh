#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# make bench: the collection's benchmark against the API emulator (see docs/docsite/rst/performance.rst).
# For ansible-core 2.16 (Python 3.11, in .venv-2.16, the venv tests/utils/matrix.sh builds from the same lock) and
# the newest (.venv): the floor, the role and their ratio, the 10,000-user run, the uri-loop baseline; exit 1 when
# a check fails. Results also in tests/output/bench/results.{md,json}. About 5 to 10 minutes on 2 CPUs.
# Options are passed to hacking/bench/bench.py (--help lists them); INCOPLAX_BENCH_VENVS="DIR ..." picks the venvs
# (e.g. a 2.19 one); INCOPLAX_PYTHON_2_16 the Python of the 2.16 venv.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$("$ROOT/tests/utils/venv.sh") || { echo "venv set-up failed" >&2; exit 1; }
# Help without building the 2.16 venv first.
for arg in "$@"; do
  case $arg in
    -h|--help) exec "$VENV/bin/python" "$ROOT/hacking/bench/bench.py" --help ;;
  esac
done
if [ -z "${INCOPLAX_BENCH_VENVS:-}" ]; then
  # Same directory, lock and stamp as tests/utils/matrix.sh, so either one reuses the other's venv.
  OLD=$ROOT/.venv-2.16 LOCK=$ROOT/requirements-matrix-2.16.txt
  STAMP=$(sha256sum "$LOCK" | cut -d' ' -f1)
  if ! [ -x "$OLD/bin/ansible-test" ] || [ "$(cat "$OLD/.requirements-stamp" 2>/dev/null)" != "$STAMP" ]; then
    PY311=${INCOPLAX_PYTHON_2_16:-$(pyenv prefix 3.11 2>/dev/null | head -n1)/bin/python}
    echo "bench: creating $OLD with $PY311" >&2
    rm -rf "$OLD"
    "$VENV/bin/uv" venv -q --python "$PY311" "$OLD" >&2
    "$VENV/bin/uv" pip install -q --python "$OLD/bin/python" --compile-bytecode -r "$LOCK" >&2
    echo "$STAMP" >"$OLD/.requirements-stamp"
  fi
  INCOPLAX_BENCH_VENVS="$OLD $VENV"
fi
ARGS=()
for venv in $INCOPLAX_BENCH_VENVS; do ARGS+=(--venv "$venv"); done
exec "$VENV/bin/python" "$ROOT/hacking/bench/bench.py" "${ARGS[@]}" "$@"
