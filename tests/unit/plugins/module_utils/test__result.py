# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text import converters

from ansible_collections.incoplax.platform.plugins.module_utils import _result
from ansible_collections.incoplax.platform.plugins.module_utils._result import may_hold_secret, scrub_when_needed

RESULT = {'closed': [{'session_id': 's1', 'login': 'alice', 'ttl': 40141, 'ok': True, 'none': None}],
          'counts': {'total': 1, 'by_site': {'central': 1}}, 'msg': 'closed 1 session(s)'}


@pytest.mark.parametrize('secrets', [set(), {'tok-123'}, {'tok-123', 'pw"with\\quote'}, {'ünïcode-secret'}])
def test_no_secret_in_the_result(secrets):
    assert may_hold_secret(RESULT, secrets) is False


@pytest.mark.parametrize('value, secret', [
    ({'a': ['x', {'b': 'prefix-tok-123-suffix'}]}, 'tok-123'),           # inside a nested string
    ({'tok-123': 1}, 'tok-123'),                                          # a key
    ({'ttl': 40141}, '4014'),                                             # a number, as remove_values compares it
    ({'a': 'say "hi" \\ bye'}, '"hi" \\'),                                # characters JSON escapes
    ({'a': 'line1\nline2\ttab'}, '1\nline2\t'),
    ({'a': 'ünïcode-secret!'}, 'ünïcode-secret'),
    ({'a': 'x'}, ''),                                                     # an empty secret: let remove_values decide
    ({'a': float('nan')}, 'zzz'),                                         # not JSON: let remove_values decide
    ({'a': object()}, 'zzz'),
])
def test_a_possible_secret_is_found(value, secret):
    assert may_hold_secret(value, {secret}) is True


def test_scrubbing_still_happens_when_a_secret_is_present():
    result = {'msg': 'token tok-123 leaked', 'list': ['tok-123'], 'n': 1}
    with scrub_when_needed():
        scrubbed = basic.remove_values(result, {'tok-123'})
    assert scrubbed == remove_values(result, {'tok-123'})
    assert scrubbed['list'] == ['VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'] and 'tok-123' not in scrubbed['msg']


def test_no_walk_when_nothing_to_remove_and_the_original_is_restored():
    original = basic.remove_values
    with scrub_when_needed():
        assert basic.remove_values(RESULT, {'tok-123'}) is RESULT
        assert basic.remove_values(RESULT, {'tok-123'}) == remove_values(RESULT, {'tok-123'})
    assert basic.remove_values is original
    with pytest.raises(SystemExit):
        with scrub_when_needed():
            raise SystemExit(0)
    assert basic.remove_values is original


# --- exit(): the invocation is scrubbed before the check, so the check applies on every ansible-core version ---

SECRET = 'tok-9f3c-secret'


def _exit(capsys, monkeypatch, result, failed=False):
    """Run _result.exit on a module holding SECRET as a no_log option; (printed result, remove_values calls)."""
    from ansible.module_utils.basic import AnsibleModule  # pylint: disable=import-outside-toplevel

    from ansible_collections.incoplax.platform.plugins.module_utils import _result  # pylint: disable=import-outside-toplevel
    from ansible_collections.incoplax.platform.tests.unit.conftest import module_args  # pylint: disable=import-outside-toplevel

    calls = []
    original = basic.remove_values

    def spy(value, no_log_strings):
        if isinstance(value, dict):  # AnsibleModule also scrubs its log line (a string) at start-up
            calls.append(value)
        return original(value, no_log_strings)

    monkeypatch.setattr(basic, 'remove_values', spy)
    from ansible.module_utils.common.parameters import PASS_VARS  # pylint: disable=import-outside-toplevel

    args = {'token': SECRET, 'name': 'x'}
    if 'inject_invocation' in PASS_VARS:  # 2.21+: invocation only when the controller asks (-vvv); ask for it
        args['_ansible_inject_invocation'] = True
    with module_args(args):
        module = AnsibleModule(argument_spec={'token': {'type': 'str', 'no_log': True}, 'name': {'type': 'str'}})
        with pytest.raises(SystemExit):
            _result.exit(module, result, failed=failed)
    return json.loads(capsys.readouterr().out), calls


@pytest.mark.parametrize('failed', [False, True])
def test_exit_skips_the_walk_of_a_clean_result_on_every_core(capsys, monkeypatch, failed):
    big = {'closed': [dict(entry, session_id='s%d' % index) for index, entry in enumerate(RESULT['closed'] * 500)],
           'msg': 'done'}
    printed, calls = _exit(capsys, monkeypatch, big, failed)
    assert SECRET not in json.dumps(printed)
    assert printed['closed'] == big['closed']
    # Only the invocation's module_args went through remove_values; the result itself was proven clean.
    assert len(calls) == 1 and calls[0]['token'] == SECRET
    assert printed['invocation']['module_args']['token'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert printed['invocation']['module_args']['name'] == 'x'


@pytest.mark.parametrize('result', [
    {'msg': 'token %s leaked' % SECRET},
    {'items': [{'k': SECRET}]},  # warnings are redacted before, by IncoplaxModule.scrub (2.19+ prints them apart)
    {'nested': {'deep': ['a', {'b': 'x%sx' % SECRET}]}},
    {'invocation': {'module_args': {'token': SECRET}}},
])
def test_exit_scrubs_a_result_that_holds_the_secret(capsys, monkeypatch, result):
    printed, calls = _exit(capsys, monkeypatch, result)
    assert SECRET not in json.dumps(printed)
    assert len(calls) >= 2 - ('invocation' in result)


OLD_JSONIFY = hasattr(converters, '_json_encode_fallback')


class _Module:
    """What quick_jsonify needs of an AnsibleModule: a jsonify method, counted."""

    def __init__(self):
        self.calls = 0

    def jsonify(self, data):
        self.calls += 1
        return basic.jsonify(data)


@pytest.mark.parametrize('value', [RESULT, {'a': ('t', 1), 'b': {'c': [None, 1.5, 'ünï']}}, {'s': {1, 2}}])
def test_quick_jsonify_prints_what_jsonify_prints_without_the_copy(value):
    module = _Module()
    expected = module.jsonify(value)
    _result.quick_jsonify(module)
    assert module.jsonify(value) == expected
    # Before 2.19 the original jsonify (and its copy) is skipped; 2.19 and later print without it: left alone.
    assert module.calls == (1 if OLD_JSONIFY else 2)


def _printed(jsonify, value):
    """What ``jsonify`` prints for ``value``, or TypeError when it cannot (bytes keys on ansible-core 2.19+)."""
    try:
        return jsonify(value)
    except TypeError:
        return TypeError


@pytest.mark.parametrize('value', [{'a': b'bytes'}, {b'key': 1}, {'a': [1, (b'x',)]}])
def test_quick_jsonify_leaves_bytes_to_jsonify(value):
    # Before 2.19 the quick path hands bytes back to the original jsonify; 2.19 and later keep the original anyway.
    module = _Module()
    expected = _printed(module.jsonify, value)
    _result.quick_jsonify(module)
    assert _printed(module.jsonify, value) == expected
    assert module.calls == 2
