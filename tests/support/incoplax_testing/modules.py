# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit-test helpers for the modules: their arguments as AnsibleModule reads them, and ws_session's options."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import functools
import json

from ansible.module_utils import basic

from ansible_collections.incoplax.platform.plugins.module_utils import _request

from incoplax_testing.cast import OMIT, entry


@contextlib.contextmanager
def module_args(args):
    """Module arguments for AnsibleModule, on every ansible-core version we support."""
    try:
        from ansible.module_utils.testing import patch_module_args  # pylint: disable=import-outside-toplevel
    except ImportError:  # ansible-core < 2.19
        from unittest import mock  # pylint: disable=import-outside-toplevel
        with mock.patch.object(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()):
            yield
    else:
        with patch_module_args(args):
            yield


def ws_session_params(**overrides):
    """Every option of ws_session as the module gives them (match as Ansible fills its sub-options)."""
    values = dict(state='absent', session_id=None, user=None, domain=None, match=None, protected_users=[],
                  sites='all', concurrency=8, max_sessions=None, wait=True, wait_timeout=30)
    if isinstance(overrides.get('match'), dict):
        overrides['match'] = dict(dict.fromkeys(_request.MATCH_KEYS), **overrides['match'])
    values.update(overrides)
    return values


def read_request(**overrides):
    """ws_session's request as _request.read_request reads it from ws_session_params(**overrides)."""
    return _request.read_request(ws_session_params(**overrides))


# A listing entry of the planning tests: in domain d, without a ttl, unless said otherwise.
plan_entry = functools.partial(entry, domain='d', ttl=OMIT)


def plan_listing():
    """The small listing of the planning tests (domain d, no ttl): alice 2 sessions (one also a websocket),
    bob and keeper on east, carol in another domain."""
    return [
        plan_entry('a1', 'alice'),
        plan_entry('a1', 'alice', session_type='websocket'),
        plan_entry('a2', 'alice', site='east'),
        plan_entry('b1', 'bob', site='east'),
        entry('c1', 'carol', domain='other', ttl=OMIT),
        plan_entry('k1', 'keeper', site='east'),
    ]
