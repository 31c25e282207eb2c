#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# The main job: demo.yml starts the API emulator with seeded sessions and shows the collection at work against it
# (audit, then the forced logout of three accounts while the break-glass ones stay untouched, and the evidence).
# - From a clone (make demo): builds .venv with the pinned tools (tests/utils/venv.sh) and uses it.
# - From an installed collection (.../ansible_collections/incoplax/platform/extensions/demo/demo.sh): uses the
#   ansible-playbook on PATH and the Python it runs on (which needs `requests`), nothing else; the evidence goes
#   to ./demo-evidence in the current directory.
# INCOPLAX_DEMO_EVIDENCE sets the evidence directory; INCOPLAX_DEMO_USE_PATH=1 uses PATH in a clone too.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -x "$ROOT/tests/utils/venv.sh" ] && [ -z "${INCOPLAX_DEMO_USE_PATH:-}" ]; then
  VENV=$("$ROOT/tests/utils/venv.sh")
  export PATH=$VENV/bin:$PATH
  PY=$VENV/bin/python
  DEFAULT_EVIDENCE=$ROOT/demo-evidence
else
  PLAYBOOK=$(command -v ansible-playbook) || { echo "demo: ansible-playbook is not on PATH (install ansible-core)" >&2; exit 1; }
  # The Python that runs ansible-playbook (its shebang) also runs the emulator and the modules.
  read -r SHEBANG <"$PLAYBOOK" || true
  SHEBANG=${SHEBANG#\#!}
  case "$SHEBANG" in
    */env\ *) PY=$(command -v "${SHEBANG##* }") ;;
    *) PY=${SHEBANG%% *} ;;
  esac
  "$PY" -c 'import ansible, requests' 2>/dev/null \
    || { echo "demo: $PY (the Python of $PLAYBOOK) cannot import ansible and requests" >&2; exit 1; }
  DEFAULT_EVIDENCE=$PWD/demo-evidence
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/incoplax-demo.XXXXXX")
EVIDENCE=${INCOPLAX_DEMO_EVIDENCE:-$DEFAULT_EVIDENCE}
# demo.yml stops the emulator itself; this catches an interrupted run (the pid is checked against the command line).
cleanup() {
  local pid
  pid=$(cat "$WORK/emulator/emulator.pid" 2>/dev/null) || pid=
  if [ -n "$pid" ] && grep -qa incoplax_emulator "/proc/$pid/cmdline" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Run the collection from this tree, wherever it is checked out.
case "$ROOT" in
  */ansible_collections/incoplax/platform) COLLECTIONS=$(cd "$ROOT/../../.." && pwd) ;;
  *) COLLECTIONS=$WORK/collections; mkdir -p "$COLLECTIONS/ansible_collections/incoplax"
     ln -s "$ROOT" "$COLLECTIONS/ansible_collections/incoplax/platform" ;;
esac
export ANSIBLE_COLLECTIONS_PATH=$COLLECTIONS ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_HOME=$WORK/ansible-home

mkdir -p "$EVIDENCE"
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" \
  -e "demo_evidence_dir=$EVIDENCE" -e "demo_state_dir=$WORK/emulator" "$ROOT/extensions/demo/demo.yml"

echo
# Each run writes new evidence files, DEMO-INC-1.<UTC time>.md (and .json), listed in DEMO-INC-1.ledger.jsonl.
LEDGER=$EVIDENCE/DEMO-INC-1.ledger.jsonl
LATEST=$EVIDENCE/$("$PY" -c 'import json, sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["files"]["markdown"]["name"])' "$LEDGER")
echo "== Evidence for the incident ticket: $LATEST (and .json); ledger: $LEDGER; audit: $EVIDENCE/audit/"
sed -n '1,30p' "$LATEST"
