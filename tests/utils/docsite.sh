#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# Build the HTML docsite of the collection (make docsite; step `docsite` of run-tests.sh).
# antsibull-docs writes RST pages from the collection's own docs (modules, filters, roles) and from the
# extra docs of docs/docsite (extra-docs.yml, links.yml, and the guides written in RST in rst/); Sphinx turns them
# into HTML. Any Sphinx warning fails the build, so a guide in rst/ that extra-docs.yml does not list ("not included
# in any toctree") or a :ref: that does not resolve fails it. The working tree is never changed.
# Usage: tests/utils/docsite.sh [OUTPUT_DIR]     (default OUTPUT_DIR: build/docsite)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$ROOT/build/docsite}
if [ -z "${VIRTUAL_ENV:-}" ] || ! command -v sphinx-build >/dev/null; then
  VENV=$("$ROOT/tests/utils/venv.sh")
  export PATH=$VENV/bin:$PATH
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/incoplax-docsite.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Build from a copy in an ansible_collections tree.
"$ROOT/tests/utils/collection-tree.sh" "$WORK/collections" >/dev/null
export ANSIBLE_COLLECTIONS_PATH=$WORK/collections ANSIBLE_HOME=$WORK/ansible-home ANSIBLE_NOCOLOR=1
SITE=$WORK/site
mkdir -p "$SITE/rst"
chmod og-w "$SITE/rst"  # antsibull-docs wants the directory only writable by its owner
antsibull-docs --config-file "$ROOT/docs/docsite/sphinx/antsibull-docs.cfg" collection --use-current \
  --fail-on-error --cleanup everything --dest-dir "$SITE/rst" incoplax.platform >"$WORK/antsibull.log" 2>&1 \
  || { cat "$WORK/antsibull.log" >&2; echo "docsite: antsibull-docs failed" >&2; exit 1; }
cp "$ROOT/docs/docsite/sphinx/index.rst" "$SITE/rst/index.rst"
# -W: warnings are errors; -n: every reference must resolve; -q: print only warnings and errors.
sphinx-build -b html -W --keep-going -n -q -c "$ROOT/docs/docsite/sphinx" -d "$WORK/doctrees" "$SITE/rst" "$WORK/html" \
  || { echo "docsite: Sphinx build failed (see above)" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$WORK/html" "$OUT"
pages=$(find "$OUT" -name '*.html' | wc -l)
echo "docsite: $pages HTML pages in $OUT"
