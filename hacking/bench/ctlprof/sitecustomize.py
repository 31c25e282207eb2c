# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller profiling aid (hacking/bench/profile_controller.sh): with $BENCH_CTL_PROFILE_DIR set and this directory
on PYTHONPATH, ansible-playbook's main process and each of its worker processes run under cProfile, one profile
file each (main-PID.prof, worker-PID.prof). Module processes and other programs are left alone. Developer aid."""

import atexit
import cProfile
import os
import sys

OUT = os.environ.get('BENCH_CTL_PROFILE_DIR')

if OUT and os.path.basename(sys.argv[0] if sys.argv else '') == 'ansible-playbook':
    MAIN = cProfile.Profile()
    MAIN.enable()

    def _dump_main():
        MAIN.disable()
        MAIN.dump_stats(os.path.join(OUT, 'main-%d.prof' % os.getpid()))

    atexit.register(_dump_main)

    def _patch_worker():
        from ansible.executor.process import worker  # pylint: disable=import-outside-toplevel

        original = worker.WorkerProcess._run

        def _run(self):
            MAIN.disable()
            profile = cProfile.Profile()
            profile.enable()
            try:
                return original(self)
            finally:
                profile.disable()
                profile.dump_stats(os.path.join(OUT, 'worker-%d.prof' % os.getpid()))

        worker.WorkerProcess._run = _run

    try:
        _patch_worker()
    except ImportError:
        pass
