# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run an AnsiballZ module file under cProfile: ``python modprof.py AnsiballZ_x.py [args]``, profile to $BENCH_PROFILE.

Not ``python -m cProfile``: the AnsiballZ wrapper drops the directory of ``__main__.__file__`` from sys.path, which
under ``-m cProfile`` is the standard library's. runpy.run_path gives the module file its own ``__main__``. Alone in
its directory for the same reason.
"""

import cProfile
import os
import runpy
import sys

profiler = cProfile.Profile()
sys.argv = sys.argv[1:]
code = 0
profiler.enable()
try:
    runpy.run_path(sys.argv[0], run_name='__main__')
except SystemExit as exc:
    code = exc.code
finally:
    profiler.disable()
    profiler.dump_stats(os.environ['BENCH_PROFILE'])
sys.exit(code)
