# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action behind incoplax.platform.forced_logout_record: the forced_logout role's result and evidence in one step.

Why an action: on ansible-core 2.19 and later every value read from a variable through a template is a lazy
container templated element by element, so handing tens of thousands of session entries to set_fact, to a
filter and to copy tasks cost seconds each. Here the registered results are read once, as stored, the result
is computed in one pass, the evidence is written directly, and the facts are set without being templated again.

It also knows what a task cannot: its own effective check mode (however check mode was asked for: --check, the
play, a block, the task, import_role or include_role's apply), recorded as a dry run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleActionFail

from ansible_collections.incoplax.platform.plugins.plugin_utils._record import RECORD_OPTIONS, RecordingAction, record

ARGUMENT_SPEC = dict(
    close_var=dict(type='str', required=True),
    verify_var=dict(type='str', required=True),
    last_sweep_var=dict(type='str', required=True),
    swept_var=dict(type='str', required=True),
    users=dict(type='list', elements='str', required=True),
    domain=dict(type='str', required=True),
    sites=dict(type='raw'),
    ticket=dict(type='str'),
    mode=dict(type='str', default='run', choices=['run', 'plan', 'apply']),
    dry_run=dict(type='bool', default=False),
    started_at=dict(type='str'),
    finished_at=dict(type='str'),
    protected_users=dict(type='list', elements='str', default=[]),
    max_sessions=dict(type='int'),
    passes=dict(type='int', default=1),
    failure=dict(type='str'),
    platform=dict(type='str'),
    caller=dict(type='str'),
    **RECORD_OPTIONS
)


class ActionModule(RecordingAction):

    _requires_connection = False

    def _stored(self, task_vars, name, kind):
        """The value of variable ``name`` as stored; only a value that is still a template string gets templated."""
        value = task_vars.get(name)
        if isinstance(value, str):
            value = self._templar.template(value)
        if value is None:
            return kind()
        if not isinstance(value, (Mapping if kind is dict else (list, tuple))):
            raise AnsibleActionFail('forced_logout_record: the variable %s must hold a %s, not a %s'
                                    % (name, 'registered result (dict)' if kind is dict else 'list of session entries',
                                       type(value).__name__))
        return value

    def _run(self, task_vars, result):

        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        self._refuse_unnamed_report(args)
        dry_run = args['dry_run'] or args['mode'] == 'plan' or self._in_check_mode()
        steps = {'close': self._stored(task_vars, args['close_var'], dict),
                 'verify': self._stored(task_vars, args['verify_var'], dict),
                 'last_sweep': self._stored(task_vars, args['last_sweep_var'], dict),
                 'swept': self._stored(task_vars, args['swept_var'], list),
                 'failure': args['failure']}
        result = record(self, args, steps, dry_run, task_vars, result)
        result['changed'] = False
        return result
