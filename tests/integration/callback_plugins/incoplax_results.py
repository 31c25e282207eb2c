# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: incoplax_results
type: notification
short_description: Append every task result as one JSON line to a file (integration test harness)
description:
  - Used only by the pytest integration harness of incoplax.platform.
  - Appends one JSON object per task result (task name, action, host, status, result dict) to a file.
requirements:
  - enable in configuration (ANSIBLE_CALLBACKS_ENABLED)
options:
  results_file:
    description: Path of the file the JSON lines are appended to. Nothing is written when unset.
    type: path
    env:
      - name: INCOPLAX_TEST_RESULTS_FILE
'''

import json

from ansible.plugins.callback import CallbackBase


def _part(result, name):
    """``result.<name>`` on ansible-core 2.19+, ``result._<name>`` before."""
    try:
        return getattr(result, name)
    except AttributeError:
        return getattr(result, '_' + name)


def _plain(value):
    """JSON fallback for values json does not know (sets, tagged or custom objects)."""
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'incoplax_results'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status, ignored=False):
        try:
            path = self.get_option('results_file')
        except KeyError:
            path = None
        if not path:
            return
        task = _part(result, 'task')
        host = _part(result, 'host')
        record = {
            'task': task.get_name(),
            'action': task.action,
            'resolved_action': getattr(task, 'resolved_action', None),
            'host': host.get_name(),
            'status': status,
            'ignored': ignored,
            'result': dict(_part(result, 'result')),
        }
        with open(path, 'a') as handle:
            handle.write(json.dumps(record, default=_plain, sort_keys=True) + '\n')

    def v2_runner_on_ok(self, result):
        status = 'changed' if _part(result, 'result').get('changed', False) else 'ok'
        self._record(result, status)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed', ignored=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')
