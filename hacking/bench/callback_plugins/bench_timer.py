# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark aid: append one JSON line per task (name, seconds from its start to the next task's) to
$BENCH_TIMER_FILE. Not part of the collection's interface; used by hacking/bench/run.sh only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: bench_timer
type: aggregate
short_description: Per-task wall times for the benchmark
description: Writes one JSON line per task to the file named by the BENCH_TIMER_FILE environment variable.
'''

import json
import os
import resource
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._path = os.environ.get('BENCH_TIMER_FILE')
        self._started = time.time()
        self._current = None

    def _close(self):
        if self._current is not None and self._path:
            name, start = self._current
            with open(self._path, 'a') as handle:
                handle.write(json.dumps({'task': name, 'seconds': round(time.time() - start, 3)}) + '\n')
        self._current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self._current = (task.get_name(), time.time())

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_playbook_on_stats(self, stats):
        self._close()
        if self._path:
            with open(self._path, 'a') as handle:
                handle.write(json.dumps({'task': '(playbook start to end)', 'seconds': round(time.time() - self._started, 3)}) + '\n')
                # CPU of the controller's main process, and of its ended children (workers, and the module
                # processes the workers waited for).
                own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
                handle.write(json.dumps({'task': '(cpu)', 'controller': round(own.ru_utime + own.ru_stime, 3),
                                         'children': round(children.ru_utime + children.ru_stime, 3)}) + '\n')
