#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# make bench: the collection's benchmark against the API emulator (see docs/performance.md).
# One command: starts seeded emulators, runs the uri-loop baseline and the collection in the same run, prints
# the table and the target checks; results also in tests/output/bench/results.{md,json}. About 3 to 5 minutes.
# Options are passed to tests/bench/bench.py (--help lists them), e.g. --repeat 1 --skip-sweep for a quick look.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$("$ROOT/tests/utils/venv.sh") || { echo "venv set-up failed" >&2; exit 1; }
exec "$VENV/bin/python" "$ROOT/tests/bench/bench.py" "$@"
