# shellcheck shell=bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# Shell functions sourced by venv.sh and matrix.sh (not run on its own).

# first_python CHECK CANDIDATE...: print the first candidate interpreter for which the Python expression CHECK
# (evaluated with sys imported, e.g. "sys.version_info >= (3, 12)") is true; empty candidates are skipped.
# Returns 1 without output when none fits.
first_python() {
  local check=$1 candidate
  shift
  for candidate in "$@"; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c "import sys; sys.exit(0 if $check else 1)" 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
