# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Step timing aid (``hacking/bench/profile_run.py --steps``): with $BENCH_STEP_TIMES naming a file and this directory
on PYTHONPATH, each worker process of ansible-playbook appends to that file the wall time of the steps below, one line
per step it ran: ``worker-PID SECONDS CALLS STEP``. No profiler: cProfile overstates Python-heavy steps about twice.
Module processes and other programs are left alone. Developer aid."""

import atexit
import functools
import gc
import importlib
import os
import sys
import time

OUT = os.environ.get('BENCH_STEP_TIMES')
COLLECTION = 'ansible_collections.incoplax.platform.plugins.'
# (module, class or None, function): what a worker of the role spends its time in.
STEPS = (
    ('ansible.executor.task_executor', 'TaskExecutor', '_execute'),
    ('ansible.playbook.task', 'Task', 'post_validate'),
    ('ansible.executor.task_queue_manager', 'FinalQueue', 'send_task_result'),
    (COLLECTION + 'action.forced_logout_run', 'Steps', 'run'),
    (COLLECTION + 'module_utils._close', None, 'execute'),
    (COLLECTION + 'module_utils._close', None, 'settle'),
    (COLLECTION + 'module_utils._close', None, 'plan'),
    (COLLECTION + 'module_utils._close', None, 'outcome'),
    (COLLECTION + 'module_utils._api', 'IncoplaxClient', 'list_sessions'),
    (COLLECTION + 'plugin_utils._record', None, 'record'),
    (COLLECTION + 'plugin_utils._record', None, 'write_evidence'),
    (COLLECTION + 'plugin_utils._record', None, 'write_facts_file'),
    (COLLECTION + 'plugin_utils._forced_logout', None, 'report'),
    (COLLECTION + 'plugin_utils._forced_logout', None, 'evidence_json'),
    (COLLECTION + 'plugin_utils._forced_logout', None, 'evidence_markdown'),
)


def _timed(function, label, totals):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            calls, seconds = totals.get(label, (0, 0.0))
            totals[label] = (calls + 1, seconds + time.perf_counter() - started)
    return timed


def _gc_timer(totals):
    """A gc callback adding the cyclic garbage collector's pauses to ``totals``, by generation."""
    collecting = []

    def timer(phase, info):
        if phase == 'start':
            collecting.append(time.perf_counter())
        elif collecting:
            label = '(gc pauses, generation %d)' % info['generation']
            calls, seconds = totals.get(label, (0, 0.0))
            totals[label] = (calls + 1, seconds + time.perf_counter() - collecting.pop())
    return timer


def _write(name, totals):
    with open(OUT, 'a') as stream:
        for label, (calls, seconds) in sorted(totals.items(), key=lambda item: -item[1][1]):
            stream.write('%s %.4f %d %s\n' % (name, seconds, calls, label))


def _patch(totals):
    for module_name, class_name, name in STEPS:
        try:
            # In a worker the collection loader is in place: the collection's code imports as ansible-core would.
            owner = importlib.import_module(module_name)
        except ImportError:
            continue
        owner = getattr(owner, class_name) if class_name else owner
        setattr(owner, name, _timed(getattr(owner, name), '%s%s' % ('%s.' % class_name if class_name else '', name), totals))


if OUT and os.path.basename(sys.argv[0] if sys.argv else '') == 'ansible-playbook':
    def _patch_worker():
        from ansible.executor.process import worker  # pylint: disable=import-outside-toplevel

        original = worker.WorkerProcess._run

        def _run(self):
            totals = {}
            # A worker inherits the controller's objects, which its full collections walk too.
            gc.callbacks[:] = [_gc_timer(totals)]
            started = time.perf_counter()
            _patch(totals)
            # The collection's code is imported in the controller before the task starts (the action plugin's class);
            # a worker that imports it here would count that time too, so the imports are timed apart.
            totals['(imports in this worker)'] = (1, time.perf_counter() - started)
            started = time.perf_counter()
            try:
                return original(self)
            finally:
                totals['(worker)'] = (1, time.perf_counter() - started)
                _write('worker-%d' % os.getpid(), totals)

        worker.WorkerProcess._run = _run

    try:
        _patch_worker()
    except ImportError:
        pass
    else:
        MAIN = {}
        gc.callbacks.append(_gc_timer(MAIN))
        atexit.register(lambda: _write('main-%d' % os.getpid(), MAIN))
