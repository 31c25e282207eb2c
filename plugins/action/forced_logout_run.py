# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action behind incoplax.platform.forced_logout_run: the forced_logout role's containment in one step, on the controller.

Why one action: the close, the sweeps and the verification hand tens of thousands of session entries from step
to step. As module tasks, each step started a Python process, and ansible-core decoded, registered (templated
value by value on 2.19 and later), deep-copied (before 2.19) and handed each result to the callbacks, for seconds
per step at a thousand accounts (docs/docsite/rst/performance.rst). Here the steps run the same code as
incoplax.platform.ws_session (plugins/module_utils/_close.py) in this process, their results stay in memory, and
only the record leaves it.

The role's work runs on the controller (its plays use ``connection: local``): the requests go from the controller,
with the task's ``environment`` applied as a module would see it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from collections.abc import Mapping

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.incoplax.platform.plugins.module_utils._args import (
    CLOSE_ARGUMENT_SPEC,
    CLOSE_CONSTRAINTS,
    CONNECTION_ARGUMENT_SPEC,
)
from ansible_collections.incoplax.platform.plugins.module_utils._close import close_sessions
from ansible_collections.incoplax.platform.plugins.module_utils._errors import ParameterError
from ansible_collections.incoplax.platform.plugins.module_utils._module import IncoplaxRun
from ansible_collections.incoplax.platform.plugins.module_utils._plan import not_open_warning
from ansible_collections.incoplax.platform.plugins.plugin_utils._forced_logout import plan_hash, settings_problems, whole_number
from ansible_collections.incoplax.platform.plugins.plugin_utils._names import NameListError, split_names
from ansible_collections.incoplax.platform.plugins.plugin_utils._record import RECORD_OPTIONS, RecordingAction, record

# The steps, named as the role's tasks were: a failure is recorded as "<step>: <message>".
READ_PLAN_STEP = 'Read the plan file'
PLAN_HASH_STEP = 'Refuse a plan that is not the approved one'
PLAN_TARGETS_STEP = 'Refuse targets that differ from the plan'
COUNT_STEP = 'Count what would be closed now'
PLAN_SITES_STEP = 'Refuse a scope that differs from the plan'
PLAN_COUNT_STEP = 'Refuse when many more sessions would be closed than planned'
PLAN_STEP = 'Work out what would be closed, for the plan'
CLOSE_STEP = 'Close every session of the targets in one bulk call'
SWEEP_STEP = 'Close sessions of the targets that came back, pass %d'
VERIFY_STEP = 'Verify - look for target sessions still open'

# The action's own options; the connection options (CONNECTION_ARGUMENT_SPEC) come beside them, from the task,
# module_defaults or the INCOPLAX_* environment, and are validated as the close module validates them. The role's
# settings arrive as the role has them (a survey gives text): raw, checked here, and named as the role's variables.
ARGUMENT_SPEC = dict(
    users=dict(type='raw', required=True),
    domain=dict(type='raw', required=True),
    sites=dict(type='raw', default='all'),
    protected_users=dict(type='raw', default=[]),
    max_sessions=dict(type='raw'),
    concurrency=dict(type='raw', default=16),
    wait_timeout=dict(type='raw', default=30),
    sweeps=dict(type='raw', default=1),
    sweep_interval=dict(type='raw', default=10),
    mode=dict(type='str', default='run', choices=['run', 'plan', 'apply']),
    plan=dict(type='raw'),
    plan_file=dict(type='str'),
    plan_hash=dict(type='str'),
    plan_margin=dict(type='raw', default=10),
    ticket=dict(type='str'),
    started_at=dict(type='str'),
    **RECORD_OPTIONS
)
# Option -> the role variable its messages name.
ROLE_VARIABLES = dict((option, 'forced_logout_' + option) for option in ARGUMENT_SPEC)
NUMBERS = ('concurrency', 'wait_timeout', 'sweeps', 'sweep_interval', 'plan_margin')


def settings(args):
    """The role's settings checked (every problem at once, naming its variable) and converted; AnsibleActionFail."""
    problems = settings_problems(dict(
        [(ROLE_VARIABLES[option], args[option]) for option in NUMBERS + ('domain', 'max_sessions', 'mode')]
        + [('forced_logout_plan_hash', args['plan_hash'] or ''),
           ('forced_logout_plan_given', args['plan'] is not None or args['plan_file'] is not None)]))
    if problems:
        raise AnsibleActionFail('; '.join(problems))
    try:
        users = split_names(args['users'], ROLE_VARIABLES['users'])
        protected = split_names(args['protected_users'], ROLE_VARIABLES['protected_users'], allow_empty=True)
    except NameListError as exc:
        problem = str(exc)
    else:
        problem = None
    if problem:
        # Raised outside the handler: AnsibleActionFail would carry the traceback of the NameListError, and the
        # default callback would announce "an exception occurred" for a plain input error.
        raise AnsibleActionFail(problem)
    found = dict(args, users=users, protected_users=protected, domain=args['domain'].strip(),
                 max_sessions=None if args['max_sessions'] in (None, '') else whole_number(args['max_sessions']))
    found.update((option, whole_number(args[option])) for option in NUMBERS)
    return found


def plan_refusal(plan, approved_hash, users, domain, protected):
    """Why the plan handed over is not the approved one for these targets, or None (the role's texts)."""
    found = plan_hash(plan)
    if found != approved_hash:
        return PLAN_HASH_STEP, ('refused: the plan\'s content hash %s does not match the approved hash %s; make and '
                                'approve a new plan' % (found, approved_hash))
    if (sorted(users), domain, sorted(protected)) != (plan.get('users'), plan.get('domain'), plan.get('protected_users')):
        return PLAN_TARGETS_STEP, ('refused: the targets differ from the approved plan (plan: users %s in %s); make and '
                                   'approve a new plan' % (', '.join(str(user) for user in plan.get('users') or []),
                                                           plan.get('domain')))
    return None


def scope_refusal(plan, now, margin):
    """Why what would be closed now is not what was approved, or None (the role's texts)."""
    if now.get('sites') != plan.get('sites'):
        return PLAN_SITES_STEP, ('refused: the sites %s differ from the approved plan\'s %s; make and approve a new plan'
                                 % (now.get('sites'), plan.get('sites')))
    total = (now.get('counts') or {}).get('total', 0)
    planned = whole_number(plan.get('session_count'))
    if planned is None or total > planned + margin:
        return PLAN_COUNT_STEP, ('refused: %s sessions would be closed now, more than the %s planned plus the margin of %s; '
                                 'make and approve a new plan' % (total, plan.get('session_count'), margin))
    return None


def utc_now():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


class Steps:
    """The steps of one containment and what each returned; the first failure ends them."""

    def __init__(self, close_args, diff_mode):
        self.close_args = close_args
        self.diff_mode = diff_mode
        self.found = {'close': {}, 'verify': {}, 'last_sweep': {}, 'swept': [], 'failure': None}
        self.warnings = []
        self.changed = False
        self.caller = None
        self.url = None

    def run(self, name, check_mode, warn=True):
        """One close (in check mode: what it would close): its result, and whether it failed.

        ``warn``: keep its warnings. A sweep or the verification finds no open session for targets just logged out,
        which is what success looks like, not a typo; and the record names the targets that had none to begin with
        in its own words, so that warning is left out here.
        """
        try:
            run = IncoplaxRun.from_args(self.close_args, CLOSE_ARGUMENT_SPEC, CLOSE_CONSTRAINTS,
                                        check_mode=check_mode, diff_mode=self.diff_mode)
        except ParameterError as exc:
            self.found['failure'] = '%s: %s' % (name, exc)
            return {}, True
        self.caller, self.url = run.caller, run.params['url']
        result, failed = run.outcome(close_sessions)
        if warn:
            no_session = not_open_warning('user', result.get('not_open') or [])
            self.warnings.extend(warning for warning in run.warnings if warning != no_session)
        if failed:
            self.found['failure'] = '%s: %s' % (name, result.get('msg') or 'failed')
        elif not check_mode and result.get('changed'):
            self.changed = True
        return result, failed

    def check_plan(self, plan, args):
        """Apply mode: refuse anything but the approved plan before anything is sent; True when it may go on."""
        refusal = plan_refusal(plan, args['plan_hash'], args['users'], args['domain'], args['protected_users'])
        if refusal is None:
            now, failed = self.run(COUNT_STEP, True)
            if failed:
                return False
            refusal = scope_refusal(plan, now, args['plan_margin'])
        if refusal is not None:
            self.found['failure'] = '%s: %s' % refusal
            return False
        return True

    def contain(self, mode, dry_run, sweeps, sweep_interval):
        found = self.found
        found['close'], failed = self.run(PLAN_STEP if mode == 'plan' else CLOSE_STEP, dry_run)
        if failed or dry_run:
            # A dry run's result says what would be closed: nothing after it would add to that.
            return found
        for number in range(2, sweeps + 1):
            time.sleep(sweep_interval)
            found['last_sweep'], failed = self.run(SWEEP_STEP % number, False, warn=False)
            if failed:
                return found
            found['swept'].extend(found['last_sweep'].get('closed') or [])
        found['verify'], dummy = self.run(VERIFY_STEP, True, warn=False)
        return found


class ActionModule(RecordingAction):

    def _apply_task_environment(self):
        """The task's ``environment`` in this (per-task worker) process, as a module process would have it: the
        INCOPLAX_* fallbacks and the proxy settings read it."""
        # As ansible-core builds a module's environment (play, block, then task entries; each templated), without
        # asking the connection for a shell: the work is on the controller whatever the connection.
        environments = self._task.environment or []
        for environment in environments if isinstance(environments, list) else [environments]:
            if not environment:
                continue
            values = self._templar.template(environment)
            if not isinstance(values, Mapping):
                raise AnsibleActionFail('environment must be a dictionary, received %s' % type(values).__name__)
            os.environ.update((str(key), str(value)) for key, value in values.items())

    def _approved_plan(self, args):
        """The plan to apply: the one passed by the workflow, else read from plan_file (searched like the file lookup)."""
        if args['plan'] is not None:
            plan = args['plan']
        else:
            with open(self._find_needle('files', args['plan_file'])) as stream:
                plan = json.load(stream)
        if not isinstance(plan, dict):
            raise ValueError('the plan must be a JSON object (a dict), not %s' % type(plan).__name__)
        return plan

    def _run(self, task_vars, result):

        own = dict((key, value) for key, value in self._task.args.items() if key not in CONNECTION_ARGUMENT_SPEC)
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(own)
        if validation.error_messages:
            raise AnsibleActionFail('forced_logout_run: %s' % '; '.join(validation.error_messages))
        args = settings(validation.validated_parameters)
        self._refuse_unnamed_report(args)
        args['started_at'] = args['started_at'] or utc_now()
        self._apply_task_environment()
        dry_run = args['mode'] == 'plan' or self._in_check_mode()
        connection = dict((key, value) for key, value in self._task.args.items() if key in CONNECTION_ARGUMENT_SPEC)
        steps = Steps(dict(connection, user=args['users'], domain=args['domain'], sites=args['sites'],
                           protected_users=args['protected_users'], concurrency=args['concurrency'],
                           max_sessions=args['max_sessions'], wait_timeout=args['wait_timeout']),
                      diff_mode=bool(self._play_context.diff))
        go_on = True
        if args['mode'] == 'apply':
            try:
                plan = self._approved_plan(args)
            except (AnsibleError, OSError, ValueError) as exc:
                steps.found['failure'] = '%s: %s' % (READ_PLAN_STEP, exc)
                go_on = False
            else:
                go_on = steps.check_plan(plan, args)
        found = steps.contain(args['mode'], dry_run, args['sweeps'], args['sweep_interval']) if go_on else steps.found
        record_args = dict(args, passes=args['sweeps'], finished_at=utc_now(),
                           platform=steps.url or connection.get('url') or os.environ.get('INCOPLAX_URL'),
                           caller=(steps.caller or connection.get('caller') or connection.get('username')
                                   or os.environ.get('INCOPLAX_CALLER') or os.environ.get('INCOPLAX_USERNAME')))
        result = record(self, record_args, found, dry_run, task_vars, result)
        result['changed'] = steps.changed
        warnings = steps.warnings + result.get('warnings', [])
        if warnings:
            result['warnings'] = list(dict.fromkeys(warnings))
        if steps.diff_mode and 'diff' in found['close']:
            result['diff'] = found['close']['diff']
        return result
