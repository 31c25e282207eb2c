#!/usr/bin/env bash
# The whole test suite, as CI runs it: every gate runs, then the script fails if any gate failed.
# Usage: tests/utils/run-tests.sh [step ...]   (default: every step)
# Steps: sanity units emulator eda integration molecule awx lint docs changelog build docsite. The version matrix (make matrix,
# tests/utils/matrix.sh) is separate: it runs sanity, units and integration on ansible-core 2.16 and 2.21.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$("$ROOT/tests/utils/venv.sh") || { echo "venv set-up failed" >&2; exit 1; }
export PATH=$VENV/bin:$PATH
PY=$VENV/bin/python
PYVER=$($PY -c 'import sys; print("%d.%d" % sys.version_info[:2])')

WORK=$(mktemp -d "${TMPDIR:-/tmp}/incoplax-tests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DEST=$("$ROOT/tests/utils/collection-tree.sh" "$WORK")
export ANSIBLE_COLLECTIONS_PATH=$WORK ANSIBLE_HOME=$WORK/.ansible-home ANSIBLE_LOCALHOST_WARNING=False
export ANSIBLE_NOCOLOR=1 PY_COLORS=0
cd "$DEST"

# ansible-test bootstraps pip in its sanity venvs with a script it downloads; CI has no route to it.
# The first pip= in that file is the default version (older ansible-test lists overrides for old Pythons after it).
AT=$($PY -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
PIPV=$(grep -m1 -oP "pip='\K[0-9.]+" "$AT/_internal/python_requirements.py" || true)
if [ -n "$PIPV" ]; then
  install -D -m 0644 "$ROOT/tests/utils/get_pip.py" "$HOME/.ansible/test/cache/get_pip_${PIPV//./_}.py"
fi

step_sanity()      { ansible-test sanity --local --python "$PYVER" --color no; }
step_units()       { ansible-test units --local --python "$PYVER" --color no; }
step_emulator()    { $PY -m pytest -q -p no:cacheprovider tests/emulator; }
step_integration() { $PY -m pytest -q -p no:cacheprovider -n 2 tests/integration; }
step_lint()        { ansible-lint; }
step_docs()        { antsibull-docs lint-collection-docs --plugin-docs .; }
step_changelog()   { bash "$ROOT/tests/utils/changelog-check.sh"; }
step_build()       { $PY -m pytest -q -p no:cacheprovider tests/build; }
step_molecule()    { molecule test --all; }
step_eda()         { $PY -m pytest -q -p no:cacheprovider -o asyncio_default_fixture_loop_scope=function tests/eda; }
step_awx()         { $PY -m pytest -q -p no:cacheprovider -n 2 tests/awx; }
step_docsite()     { bash "$ROOT/tests/utils/docsite.sh" --check "$WORK/docsite"; }

STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(sanity units emulator eda integration molecule awx lint docs changelog build docsite)
declare -a FAILED=()
for step in "${STEPS[@]}"; do
  echo "===== $step ====="
  start=$SECONDS
  if "step_$step"; then
    echo "===== $step: ok ($((SECONDS - start)) s) ====="
  else
    echo "===== $step: FAILED ($((SECONDS - start)) s) ====="
    FAILED+=("$step")
  fi
done
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "Gates that failed: ${FAILED[*]}"
  exit 1
fi
echo "All gates green: ${STEPS[*]}"
