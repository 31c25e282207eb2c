# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action behind incoplax.platform.forced_logout_record: the forced_logout role's result and evidence in one step.

Why an action: on ansible-core 2.19 and later every value read from a variable through a template is a lazy
container templated element by element, so handing tens of thousands of session entries to set_fact, to a
filter and to two copy tasks cost seconds each. Here the registered results are read once, as stored, the
result is computed in one pass, both evidence files are written directly, and the facts are set without
being templated again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import tempfile

from collections.abc import Mapping

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.incoplax.platform.plugins.filter.forced_logout import (
    forced_logout_evidence,
    forced_logout_report,
)

try:  # ansible-core 2.21 and later: actions may set facts with set_fact precedence
    from ansible.plugins.action import VariableLayer
except ImportError:
    VariableLayer = None

RESULT_FACT = 'forced_logout_result'
FILES_FACT = 'forced_logout_evidence_files'
DIR_MODE = 0o750
FILE_MODE = 0o640

ARGUMENT_SPEC = dict(
    close=dict(type='str', required=True),
    verify=dict(type='str', required=True),
    last_sweep=dict(type='str', required=True),
    swept=dict(type='str', required=True),
    users=dict(type='list', elements='str', required=True),
    domain=dict(type='str', required=True),
    sites=dict(type='raw'),
    ticket=dict(type='str'),
    check_mode=dict(type='bool', default=False),
    started_at=dict(type='str'),
    finished_at=dict(type='str'),
    protected_users=dict(type='list', elements='str', default=[]),
    passes=dict(type='int', default=1),
    failure=dict(type='str'),
    report_dir=dict(type='str'),
    report_name=dict(type='str'),
    cluster=dict(type='str'),
    return_facts=dict(type='bool', default=False),
)


def can_set_facts(action):
    """Whether this ansible-core lets an action other than set_fact set facts at set_fact precedence."""
    return VariableLayer is not None and hasattr(action, 'register_host_variables')


def make_dirs(path, mode=DIR_MODE):
    """Create ``path`` and its missing parents with ``mode``, then give ``path`` that mode, as the file module does."""
    missing = []
    current = path
    while current and not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, mode)
        except OSError as exc:
            if exc.errno != errno.EEXIST or not os.path.isdir(directory):
                raise
        os.chmod(directory, mode)
    if (os.stat(path).st_mode & 0o7777) != mode:
        os.chmod(path, mode)


def write_file(path, text, mode=FILE_MODE):
    """Replace ``path`` atomically with ``text`` (UTF-8), with ``mode``."""
    directory = os.path.dirname(path) or '.'
    handle, temporary = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(text.encode('utf-8', 'surrogateescape'))
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def _stored(self, task_vars, name, kind):
        """The value of variable ``name`` as stored; only a value that is still a template string gets templated."""
        value = task_vars.get(name)
        if isinstance(value, str):
            value = self._templar.template(value)
        if value is None:
            return kind()
        if not isinstance(value, (Mapping if kind is dict else (list, tuple))):
            raise AnsibleError('forced_logout_record: the variable %s must hold a %s, not a %s'
                               % (name, 'registered result (dict)' if kind is dict else 'list of session entries',
                                  type(value).__name__))
        return value

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp

        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if args['report_dir'] and not args['report_name']:
            raise AnsibleActionFail('forced_logout_record: report_name is required with report_dir')
        if not args['return_facts'] and not can_set_facts(self):
            raise AnsibleActionFail('forced_logout_record: this ansible-core lets only set_fact set facts; '
                                    'use return_facts=true and set the returned facts with ansible.builtin.set_fact')
        report = forced_logout_report({
            'close': self._stored(task_vars, args['close'], dict),
            'verify': self._stored(task_vars, args['verify'], dict),
            'last_sweep': self._stored(task_vars, args['last_sweep'], dict),
            'swept': self._stored(task_vars, args['swept'], list),
            'users': args['users'], 'domain': args['domain'], 'sites': args['sites'], 'ticket': args['ticket'],
            'check_mode': args['check_mode'], 'started_at': args['started_at'], 'finished_at': args['finished_at'],
            'protected_users': args['protected_users'], 'passes': args['passes'], 'failure': args['failure'],
        })
        facts = {RESULT_FACT: report}
        failed = None
        if args['report_dir']:
            # The fact names the files as given; the files are written where the path leads (~ and $VARS expanded).
            files = {'json': '%s/%s.json' % (args['report_dir'], args['report_name']),
                     'markdown': '%s/%s.md' % (args['report_dir'], args['report_name'])}
            try:
                make_dirs(os.path.expanduser(os.path.expandvars(args['report_dir'])))
                write_file(os.path.expanduser(os.path.expandvars(files['json'])), forced_logout_evidence(report, 'json'))
                write_file(os.path.expanduser(os.path.expandvars(files['markdown'])),
                           forced_logout_evidence(report, 'markdown', args['cluster']))
            except OSError as exc:
                failed = 'forced_logout_record: cannot write the evidence in %s: %s' % (args['report_dir'], exc)
            else:
                facts[FILES_FACT] = files

        if args['return_facts']:
            result['facts'] = facts
        elif can_set_facts(self):
            # Set like set_fact does (never cached as host facts); returned too, so that callbacks see them.
            self.register_host_variables({}, VariableLayer.CACHEABLE_FACT)
            self.register_host_variables(facts, VariableLayer.EPHEMERAL_FACT)
            result['ansible_facts'] = facts
        else:  # checked above, before anything was written
            raise AnsibleActionFail('forced_logout_record: cannot set facts')
        result['changed'] = False
        if failed:
            result.update(failed=True, msg=failed)
        return result
