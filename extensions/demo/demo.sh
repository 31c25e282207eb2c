#!/usr/bin/env bash
# The main job, from a fresh clone: start the API emulator with seeded sessions, list them, and show
# the collection at work against it. Needs nothing but this repository (it builds .venv itself).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -x "$ROOT/tests/utils/venv.sh" ] && [ -z "${INCOPLAX_DEMO_USE_PATH:-}" ]; then
  VENV=$("$ROOT/tests/utils/venv.sh")
  export PATH=$VENV/bin:$PATH
fi
PY=$(command -v python3)
[ -z "${VENV:-}" ] || PY=$VENV/bin/python

WORK=$(mktemp -d "${TMPDIR:-/tmp}/incoplax-demo.XXXXXX")
EVIDENCE=${INCOPLAX_DEMO_EVIDENCE:-$ROOT/demo-evidence}
cleanup() {
  [ -z "${EMULATOR_PID:-}" ] || kill "$EMULATOR_PID" 2>/dev/null || true
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

echo "== Starting the Incoplax API emulator: 40 users x 3 sessions on sites central, east, west"
PYTHONPATH=$ROOT/extensions/emulator "$PY" -m incoplax_emulator --port 0 --port-file "$WORK/port" \
  --users 40 --sessions-per-user 3 --sites central,east,west --seed 7 --token demo-token >"$WORK/emulator.log" 2>&1 &
EMULATOR_PID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { cat "$WORK/emulator.log"; echo "emulator did not start" >&2; exit 1; }
export INCOPLAX_URL=http://127.0.0.1:$(cat "$WORK/port") INCOPLAX_TOKEN=demo-token
echo "   listening on $INCOPLAX_URL"

mkdir -p "$EVIDENCE"
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" \
  -e "demo_evidence_dir=$EVIDENCE" "$ROOT/extensions/demo/demo.yml"

echo
# Each run writes new evidence files, DEMO-INC-1.<UTC time>.md (and .json), listed in DEMO-INC-1.ledger.jsonl.
LATEST=$(ls -1 "$EVIDENCE"/DEMO-INC-1.*.md | sort | tail -n 1)
echo "== Evidence for the incident ticket: $LATEST (and .json); ledger: $EVIDENCE/DEMO-INC-1.ledger.jsonl; audit: $EVIDENCE/audit/"
sed -n '1,30p' "$LATEST"
