#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# The whole test suite, as CI runs it: every gate runs, then the script fails if any gate failed.
# Usage: tests/utils/run-tests.sh [step ...]   (default: every step)
# Steps: sanity units emulator eda integration molecule awx lint docs changelog build docsite importer (galaxy-importer on the
# built tarball, about a minute; also make importer). The version matrix (make matrix,
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
cd "$DEST" || exit 1

# ansible-test bootstraps pip in its sanity venvs with a script it downloads; CI has no route to it.
# The first pip= in that file is the default version (older ansible-test lists overrides for old Pythons after it).
AT=$($PY -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
PIPV=$(grep -m1 -oP "pip='\K[0-9.]+" "$AT/_internal/python_requirements.py" || true)
if [ -n "$PIPV" ]; then
  install -D -m 0644 "$ROOT/tests/utils/get_pip.py" "$HOME/.ansible/test/cache/get_pip_${PIPV//./_}.py"
fi

# ansible-test sanity says "ok" when a test is skipped for a missing program (shellcheck, pwsh) or Python: that fails here.
step_sanity() {
  local rc
  ansible-test sanity --local --python "$PYVER" --color no 2>&1 | tee "$WORK/sanity.log"
  rc=${PIPESTATUS[0]}
  if grep -E 'Required program .* not found|Skipping sanity test|Skipping tests disabled' "$WORK/sanity.log" >&2; then
    echo "sanity: the lines above are sanity tests that did not run; install what they need (requirements-dev.txt)" >&2
    rc=1
  fi
  return "$rc"
}
step_units()       { ansible-test units --local --python "$PYVER" --color no; }
step_emulator()    { $PY -m pytest -q -p no:cacheprovider tests/emulator; }
step_integration() { $PY -m pytest -q -p no:cacheprovider -n 2 tests/integration; }
# ansible-lint as users, editors and pre-commit run it: at the root of the checkout, with none of the suite's
# ANSIBLE_* settings, and with no network when unshare can take it away (ansible-lint installs the collection
# from disk into .ansible/ at the root, which .gitignore and build_ignore leave out).
step_lint() {
  local -a nonet=()
  if unshare -n true 2>/dev/null; then nonet=(unshare -n); fi
  (cd "$ROOT" && env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_HOME "${nonet[@]}" ansible-lint)
}
# antsibull-nox (noxfile.py, antsibull-nox.toml): antsibull-docs lint with every reference checked, reuse lint and the
# licence of plugins, unwanted files in plugins/, and the action group against the modules' documentation. Run at the
# real root so that its venvs (.nox/) are kept between runs; the suite's ANSIBLE_* settings are not its business.
step_docs()        { (cd "$ROOT" && env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_HOME nox -R -e docs-check license-check extra-checks); }
step_changelog()   { bash "$ROOT/tests/utils/changelog-check.sh"; }
step_build()       { $PY -m pytest -q -p no:cacheprovider tests/build; }
step_molecule()    { molecule test --all; }
step_eda()         { $PY -m pytest -q -p no:cacheprovider -o asyncio_default_fixture_loop_scope=function tests/eda; }
step_awx()         { $PY -m pytest -q -p no:cacheprovider -n 2 tests/awx; }
step_docsite()     { bash "$ROOT/tests/utils/docsite.sh" "$WORK/docsite"; }
step_importer()    { bash "$ROOT/tests/utils/importer.sh"; }

STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(sanity units emulator eda integration molecule awx lint docs changelog build docsite importer)
# Two lanes: the integration suite (the longest gate, about half of the CPU time) runs beside the other gates, which run
# one after the other; their waits (emulator latencies, subprocess start-ups) overlap. INCOPLAX_TEST_LANES=1 runs
# every gate in one lane, in order. Each gate's output is printed in one piece when it ends.
LOGS=$WORK/logs
mkdir -p "$LOGS"
print_log() {
  if command -v flock >/dev/null; then flock "$LOGS/.print" cat "$1"; else cat "$1"; fi
}
run_step() {
  local step=$1 start=$SECONDS rc
  "step_$step" >"$LOGS/$step.log" 2>&1 </dev/null
  rc=$?
  if [ "$rc" = 0 ]; then
    echo "===== $step: ok ($((SECONDS - start)) s) =====" >>"$LOGS/$step.log"
  else
    echo "===== $step: FAILED ($((SECONDS - start)) s) =====" >>"$LOGS/$step.log"
  fi
  sed -i "1i ===== $step =====" "$LOGS/$step.log"
  print_log "$LOGS/$step.log"
  echo "$rc" >"$LOGS/$step.rc"
}
run_lane() {
  local step
  for step in "$@"; do run_step "$step"; done
}
declare -a SIDE=() MAIN=()
for step in "${STEPS[@]}"; do
  if [ "$step" = integration ] && [ "${INCOPLAX_TEST_LANES:-2}" != 1 ]; then SIDE+=("$step"); else MAIN+=("$step"); fi
done
started=$SECONDS
if [ ${#SIDE[@]} -gt 0 ]; then run_lane "${SIDE[@]}" & fi
run_lane "${MAIN[@]}"
wait
declare -a FAILED=()
for step in "${STEPS[@]}"; do
  [ "$(cat "$LOGS/$step.rc" 2>/dev/null)" = 0 ] || FAILED+=("$step")
done
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "Gates that failed: ${FAILED[*]} ($((SECONDS - started)) s)"
  exit 1
fi
echo "All gates green: ${STEPS[*]} ($((SECONDS - started)) s)"
