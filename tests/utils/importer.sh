#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# make importer: build the collection tarball and run galaxy-importer (what Galaxy runs on an upload) on it, with
# the settings of tests/utils/galaxy-importer.cfg (Automation Hub's: 1.0.0 or later, a required tag; ansible-test
# off, it needs a container engine). Fails when the import fails or logs any warning or error.
# Also the last step of make test (tests/utils/run-tests.sh importer); about a minute here (ansible-doc and ansible-lint
# on the extracted tarball).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$("$ROOT/tests/utils/venv.sh") || exit 1
export PATH=$VENV/bin:$PATH
WORK=$(mktemp -d "${TMPDIR:-/tmp}/incoplax-importer.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DEST=$("$ROOT/tests/utils/collection-tree.sh" "$WORK/tree")
export ANSIBLE_HOME=$WORK/ansible-home ANSIBLE_NOCOLOR=1
ansible-galaxy collection build --output-path "$WORK/dist" "$DEST" >/dev/null || { echo "importer: build failed" >&2; exit 1; }
TARBALL=$(find "$WORK/dist" -name '*.tar.gz' -print -quit)
mkdir -p "$WORK/run" "$WORK/tmp"
cd "$WORK/run" || exit 1
GALAXY_IMPORTER_CONFIG=$ROOT/tests/utils/galaxy-importer.cfg GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$WORK/tmp \
  python -m galaxy_importer.main "$TARBALL" 2>&1 | tee "$WORK/importer.log"
rc=${PIPESTATUS[0]}
status=0
[ "$rc" = 0 ] || { echo "importer: galaxy-importer failed (rc $rc)" >&2; status=1; }
grep -q '^Importer processing completed successfully' "$WORK/importer.log" || { echo "importer: no success line" >&2; status=1; }
if grep -E '^(WARNING|ERROR|CRITICAL)|Traceback' "$WORK/importer.log" >&2; then
  echo "importer: galaxy-importer logged the warnings or errors above" >&2; status=1
fi
[ "$status" != 0 ] || echo "importer: $(basename "$TARBALL") accepted with no warning"
exit $status
