# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""IncoplaxRun outside a module: the options validated as AnsibleModule validates them, and the one place where
exceptions become a failed result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.incoplax.platform.plugins.module_utils._args import CLOSE_ARGUMENT_SPEC, CLOSE_CONSTRAINTS
from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxApiError, ParameterError
from ansible_collections.incoplax.platform.plugins.module_utils._module import IncoplaxRun

TOKEN = 'tok-9f2c41d07e'
ENV_NAMES = ('INCOPLAX_URL', 'INCOPLAX_TOKEN', 'INCOPLAX_USERNAME', 'INCOPLAX_PASSWORD', 'INCOPLAX_CALLER',
             'INCOPLAX_VALIDATE_CERTS', 'INCOPLAX_CA_PATH')


@pytest.fixture(autouse=True)
def no_incoplax_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def close_run(args, **kwargs):
    return IncoplaxRun.from_args(args, CLOSE_ARGUMENT_SPEC, CLOSE_CONSTRAINTS, **kwargs)


def test_options_get_the_types_and_defaults_of_the_module():
    run = close_run({'url': 'https://p.example', 'token': TOKEN, 'user': ['alice'], 'domain': 'd',
                     'concurrency': '4', 'validate_certs': 'no'}, check_mode=True)
    assert (run.params['concurrency'], run.params['validate_certs'], run.params['wait'], run.params['timeout']) == \
        (4, False, True, 30)
    assert run.check_mode is True and run.caller is None


def test_the_incoplax_environment_fills_what_is_not_given(monkeypatch):
    monkeypatch.setenv('INCOPLAX_URL', 'https://env.example')
    monkeypatch.setenv('INCOPLAX_USERNAME', 'svc')
    monkeypatch.setenv('INCOPLAX_PASSWORD', 'pw-71c0')
    monkeypatch.setenv('INCOPLAX_TOKEN', '')   # AWX renders an empty input as an empty string: not given
    run = close_run({'session_id': ['s1']})
    assert (run.params['url'], run.params['username'], run.params['token'], run.caller) == \
        ('https://env.example', 'svc', None, 'svc')


@pytest.mark.parametrize('args, named', [
    ({'token': TOKEN, 'user': ['a'], 'domain': 'd'}, 'url'),
    ({'url': 'https://p.example', 'user': ['a'], 'domain': 'd'}, 'token, username'),
    ({'url': 'https://p.example', 'token': TOKEN, 'username': 'u', 'password': 'p', 'user': ['a'], 'domain': 'd'},
     'mutually exclusive'),
    ({'url': 'https://p.example', 'token': TOKEN, 'user': ['a']}, 'domain'),
    ({'url': 'https://p.example', 'token': TOKEN, 'user': ['a'], 'domain': 'd', 'timeout': 'soon'}, 'timeout'),
    ({'url': 'https://p.example', 'token': TOKEN, 'user': ['a'], 'domain': 'd', 'timeout': 0}, 'timeout'),
    ({'url': 'https://svc:%s@p.example' % TOKEN, 'token': TOKEN, 'user': ['a'], 'domain': 'd'}, 'url'),
    ({'url': 'https://p.example', 'token': TOKEN, 'user': ['a'], 'domain': 'd', 'colour': 'red'}, 'colour'),
])
def test_bad_options_are_refused_naming_them_and_never_quoting_a_secret(args, named):
    with pytest.raises(ParameterError) as refused:
        close_run(args)
    assert named in str(refused.value)
    assert TOKEN not in str(refused.value)


def test_a_secret_in_a_wrong_option_is_masked_in_the_message():
    with pytest.raises(ParameterError) as refused:
        close_run({'url': 'https://p.example', 'token': TOKEN, 'user': ['a'], 'domain': 'd', 'timeout': TOKEN})
    assert 'timeout' in str(refused.value) and TOKEN not in str(refused.value)


def run_of():
    return close_run({'url': 'https://p.example', 'token': TOKEN, 'session_id': ['s1']})


def test_outcome_turns_our_errors_into_a_failed_result_that_keeps_what_is_known():
    def action(run):
        raise IncoplaxApiError('GET', '/x?t=' + TOKEN, 500, 'echoed ' + TOKEN)

    result, failed = run_of().outcome(action)
    assert failed is True and result['changed'] is False and result['error']['status'] == 500
    assert TOKEN not in json.dumps(result)


def test_outcome_turns_any_other_exception_into_a_redacted_failure():
    def action(run):
        raise KeyError('boom ' + TOKEN)

    result, failed = run_of().outcome(action)
    assert failed is True and result['msg'].startswith('unexpected error (KeyError)')
    assert TOKEN not in json.dumps(result)


def test_outcome_of_a_result_marked_failed_is_a_failure_with_its_values():
    result, failed = run_of().outcome(lambda run: {'msg': 'partly ' + TOKEN, 'failed': True, 'closed': [1]})
    assert failed is True and result['closed'] == [1] and 'failed' not in result
    assert result['msg'].startswith('partly ') and TOKEN not in result['msg']


def test_warnings_are_kept_redacted():
    run = run_of()
    run.warn('careful with ' + TOKEN)
    assert len(run.warnings) == 1 and TOKEN not in run.warnings[0]
