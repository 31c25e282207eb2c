#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# make matrix: the gates that depend on the ansible-core version, on the oldest and the newest supported one.
#   2.16 (meta/runtime.yml requires_ansible >=2.16.0) on Python 3.11, in .venv-2.16 (lock: requirements-matrix-2.16.txt)
#   2.21 (newest)                                    on Python 3.12, in .venv (lock: requirements-dev.txt)
# Each leg runs ansible-test sanity and units, and the integration suite (pytest tests/integration: real
# ansible-playbook of that venv against the emulator), on its own copy of the tree. Not part of `make test`.
# Usage: tests/utils/matrix.sh [LEG ...]   (LEG: 2.16, 2.21; default both)
#   INCOPLAX_MATRIX_STEPS="sanity units integration" picks the steps; INCOPLAX_PYTHON_2_16 the Python of the 2.16 leg.
# Logs: build/matrix/<leg>-<step>.log
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MAIN_VENV=$("$ROOT/tests/utils/venv.sh") || { echo "venv set-up failed" >&2; exit 1; }
LEGS=("$@")
[ ${#LEGS[@]} -gt 0 ] || LEGS=(2.16 2.21)
read -r -a STEPS <<<"${INCOPLAX_MATRIX_STEPS:-sanity units integration}"
LOGS=$ROOT/build/matrix
mkdir -p "$LOGS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/incoplax-matrix.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RESULTS=$WORK/results

# shellcheck source=tests/utils/python.sh
. "$ROOT/tests/utils/python.sh"

find_python() {  # find_python MAJOR.MINOR [explicit candidate]
  local want=$1
  local -a installed=()
  mapfile -t installed < <(find "$HOME/.pyenv/versions" -mindepth 3 -maxdepth 3 -path "*/versions/$want.*/bin/python" 2>/dev/null | sort -V -r)
  first_python "'%d.%d' % sys.version_info[:2] == '$want'" \
    "${2:-}" "$(pyenv prefix "$want" 2>/dev/null | head -n1)/bin/python" "${installed[@]}" "python$want" \
    || { echo "matrix: no Python $want found; set INCOPLAX_PYTHON_2_16" >&2; return 1; }
}

# make_venv DIR PYTHON LOCK: create or refresh a venv with uv from a pinned lock (re-installs when the lock changed).
make_venv() {
  local venv=$1 python=$2 lock=$3 stamp
  stamp=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ -x "$venv/bin/ansible-test" ] && [ "$(cat "$venv/.requirements-stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  echo "matrix: creating $venv with $python from $(basename "$lock")" >&2
  rm -rf "$venv"
  "$MAIN_VENV/bin/uv" venv -q --python "$python" "$venv" >&2 \
    && "$MAIN_VENV/bin/uv" pip install -q --python "$venv/bin/python" --compile-bytecode -r "$lock" >&2 \
    && echo "$stamp" >"$venv/.requirements-stamp"
}

leg_venv() {
  case $1 in
    2.16) make_venv "$ROOT/.venv-2.16" "$(find_python 3.11 "${INCOPLAX_PYTHON_2_16:-}")" "$ROOT/requirements-matrix-2.16.txt" \
            && echo "$ROOT/.venv-2.16" ;;
    2.21) echo "$MAIN_VENV" ;;
    *) echo "matrix: unknown leg $1 (2.16 or 2.21)" >&2; return 1 ;;
  esac
}

step_sanity()      { ansible-test sanity --local --python "$PYVER" --color no; }
step_units()       { ansible-test units --local --python "$PYVER" --color no; }
step_integration() { "$PY" -m pytest -q -p no:cacheprovider -n 2 tests/integration; }

run_leg() {
  local leg=$1 venv dest core step start rc
  start=$SECONDS
  if ! venv=$(leg_venv "$leg"); then
    echo "$leg - - venv FAILED $((SECONDS - start))" >>"$RESULTS"; return
  fi
  echo "$leg - - venv ok $((SECONDS - start))" >>"$RESULTS"
  PY=$venv/bin/python
  PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  core=$("$PY" -c 'from ansible.release import __version__; print(__version__)')
  dest=$("$ROOT/tests/utils/collection-tree.sh" "$WORK/$leg")
  # ansible-test bootstraps pip in its sanity venvs with a script it downloads: use the offline stand-in.
  # The first pip= is the default version; ansible-test 2.16 lists overrides for Python 2.7/3.6 after it.
  local at pipv
  at=$("$PY" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
  pipv=$(grep -m1 -oP "pip='\K[0-9.]+" "$at/_internal/python_requirements.py" || true)
  [ -z "$pipv" ] || install -D -m 0644 "$ROOT/tests/utils/get_pip.py" "$HOME/.ansible/test/cache/get_pip_${pipv//./_}.py"
  for step in "${STEPS[@]}"; do
    echo "===== matrix $leg (ansible-core $core, Python $PYVER): $step ====="
    start=$SECONDS
    (
      export PATH=$venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$WORK/$leg ANSIBLE_HOME=$WORK/$leg/.ansible-home
      export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_NOCOLOR=1 PY_COLORS=0 PY PYVER
      cd "$dest" && "step_$step"
    ) 2>&1 | tee "$LOGS/$leg-$step.log"
    rc=${PIPESTATUS[0]}
    echo "$leg $core $PYVER $step $([ "$rc" = 0 ] && echo ok || echo FAILED) $((SECONDS - start))" >>"$RESULTS"
  done
}

total=$SECONDS
for leg in "${LEGS[@]}"; do
  run_leg "$leg"
done
echo
echo "===== matrix summary (logs in build/matrix/) ====="
printf '%-5s %-13s %-7s %-12s %-7s %s\n' leg ansible-core python step result seconds
while read -r leg core pyver step result seconds; do
  printf '%-5s %-13s %-7s %-12s %-7s %s\n' "$leg" "$core" "$pyver" "$step" "$result" "$seconds"
done <"$RESULTS"
echo "total: $((SECONDS - total)) s"
! grep -q FAILED "$RESULTS"
