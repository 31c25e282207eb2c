#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# Changelog gate (step `changelog` of run-tests.sh): the fragments are valid and a release would work.
#  1. antsibull-changelog lint, and lint-changelog-yaml on changelogs/changelog.yaml;
#  2. every file in changelogs/fragments/ is a .yml/.yaml fragment (config.yaml has
#     ignore_other_fragment_extensions: true, so lint silently skips any other file);
#  3. in a throwaway copy (never in the repository): antsibull-changelog release --is-collection, then check
#     that every fragment went into the release and that CHANGELOG.rst is valid reStructuredText.
# Usage: tests/utils/changelog-check.sh   (uses antsibull-changelog from PATH, or from .venv)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if ! command -v antsibull-changelog >/dev/null; then
  VENV=$("$ROOT/tests/utils/venv.sh") || exit 1
  export PATH=$VENV/bin:$PATH
fi
status=0
fail() { echo "changelog: $*" >&2; status=1; }

(cd "$ROOT" && antsibull-changelog lint) || fail "antsibull-changelog lint failed"
antsibull-changelog lint-changelog-yaml "$ROOT/changelogs/changelog.yaml" || fail "changelogs/changelog.yaml is invalid"
for fragment in "$ROOT"/changelogs/fragments/*; do
  [ -e "$fragment" ] || continue
  case "$fragment" in
    *.yml|*.yaml) ;;
    *) fail "changelogs/fragments/$(basename "$fragment"): not a .yml/.yaml fragment, antsibull-changelog would ignore it" ;;
  esac
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/incoplax-changelog.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
COPY=$("$ROOT/tests/utils/collection-tree.sh" "$WORK/collections")
cd "$COPY" || exit 1
# The version to release: galaxy.yml's, or the next patch version when that one is already released.
VERSION=$(python - <<'EOF'
import yaml
version = yaml.safe_load(open('galaxy.yml'))['version']
released = (yaml.safe_load(open('changelogs/changelog.yaml')) or {}).get('releases') or {}
if version in released:
    major, minor, patch = (int(part) for part in version.split('-')[0].split('.'))
    version = '%d.%d.%d' % (major, minor, patch + 1)
print(version)
EOF
) || { fail "cannot read the version from galaxy.yml"; exit 1; }
FRAGMENTS=$(find changelogs/fragments -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) -printf '%f\n' | sort)
if ANSIBLE_COLLECTIONS_PATH=$WORK/collections ANSIBLE_HOME=$WORK/ansible-home \
     antsibull-changelog release --is-collection --version "$VERSION" --date 2000-01-01 >"$WORK/release.log" 2>&1; then
  python - "$VERSION" "$FRAGMENTS" <<'EOF' || status=1
import io, os, sys
import yaml
from docutils.core import publish_string
version, fragments = sys.argv[1], sys.argv[2].split()
problems = []
release = (yaml.safe_load(open('changelogs/changelog.yaml'))['releases'] or {}).get(version)
if release is None:
    problems.append('release %s is not in the changelog.yaml it wrote' % version)
else:
    missing = sorted(set(fragments) - set(release.get('fragments') or []))
    if missing:
        problems.append('fragments not in release %s: %s' % (version, missing))
for name in ('CHANGELOG.rst', 'CHANGELOG.md'):
    if not os.path.isfile(name):
        problems.append('the release wrote no %s' % name)
if os.path.isfile('CHANGELOG.rst'):
    text = open('CHANGELOG.rst').read()
    if 'v%s' % version not in text:
        problems.append('CHANGELOG.rst has no section for v%s' % version)
    warnings = io.StringIO()
    publish_string(text, writer='null', settings_overrides={'warning_stream': warnings, 'report_level': 2, 'halt_level': 5})
    if warnings.getvalue():
        problems.append('CHANGELOG.rst is not clean reStructuredText:\n' + warnings.getvalue())
for problem in problems:
    print('changelog: ' + problem, file=sys.stderr)
if not problems:
    print('changelog: release %s would work (%d fragment(s)); CHANGELOG.rst checked in a throwaway copy' % (version, len(fragments)))
sys.exit(1 if problems else 0)
EOF
else
  cat "$WORK/release.log" >&2
  fail "antsibull-changelog release $VERSION fails"
fi
exit $status
