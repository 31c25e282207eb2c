#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# Interpreter for profiled module runs (hacking/bench/profile_run.py): runs $BENCH_PYTHON under cProfile, one
# profile per module process in $BENCH_PROFILE_DIR, and /usr/bin/time's peak RSS, wall, user and system seconds.
out="$BENCH_PROFILE_DIR/$(basename "${1:-module}" .py)-$$"
export BENCH_PROFILE="$out.prof"
exec /usr/bin/time -o "$out.time" -f '%M %e %U %S' "$BENCH_PYTHON" "$(dirname "$0")/modprof/modprof.py" "$@"
