#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# Interpreter for the benchmark's module runs: runs $BENCH_PYTHON and, when /usr/bin/time exists, appends the
# module process's peak RSS (KiB), wall seconds and command line to $BENCH_RSS_FILE.
if [ -n "${BENCH_RSS_FILE:-}" ] && [ -x /usr/bin/time ]; then
  exec /usr/bin/time -a -o "$BENCH_RSS_FILE" -f '%M %e %C' "$BENCH_PYTHON" "$@"
fi
exec "$BENCH_PYTHON" "$@"
