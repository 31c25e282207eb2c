# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Connection parameters that cannot be sent are refused before any request, without showing a credential,
and the module base class redacts what the module lets out (its second line of defence).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ansible_collections.incoplax.platform.plugins.module_utils import _api
from ansible_collections.incoplax.platform.plugins.module_utils._args import CONNECTION_ARGUMENT_SPEC, ParameterError, check_connection_params
from ansible_collections.incoplax.platform.plugins.module_utils._module import IncoplaxModule
from ansible_collections.incoplax.platform.plugins.modules import ws_session, ws_session_info
from incoplax_testing.modules import module_args  # pylint: disable=import-error


FAST = settings(max_examples=200, deadline=None)


@pytest.fixture(autouse=True)
def no_incoplax_env(monkeypatch):
    for name in ('INCOPLAX_URL', 'INCOPLAX_TOKEN', 'INCOPLAX_USERNAME', 'INCOPLAX_PASSWORD', 'INCOPLAX_CALLER'):
        monkeypatch.delenv(name, raising=False)


def connection(**overrides):
    params = dict(url='https://p.example', token=None, username=None, password=None, timeout=30, retries=3, retry_budget=60)
    params.update(overrides)
    return params


def refused(params):
    with pytest.raises(ParameterError) as info:
        check_connection_params(params)
    return str(info.value)


# ---------------------------------------------------------------------------------------------------- credentials

padding = st.sampled_from(['\n', '\r\n', ' ', '\t', '\u00a0', '\n\n', ' \n'])
core = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF, blacklist_categories=('Cc', 'Zs')), min_size=4, max_size=30)


@FAST
@given(st.sampled_from(['token', 'username', 'password']), core, padding, st.sampled_from(['after', 'before', 'both']))
@example('token', 'tok-S3cr3t', '\n', 'after')
def test_surrounding_whitespace_is_refused_naming_the_option_and_never_the_value(option, value, pad, where):
    padded = {'after': value + pad, 'before': pad + value, 'both': pad + value + pad}[where]
    params = connection(**{option: padded})
    if option == 'username':
        params.update(password='pw-ok')
    message = refused(params)
    assert message.startswith(option + ': has leading or trailing whitespace or a line break')
    assert '| trim' in message
    assert message == refused(dict(params, **{option: ' x'}))


@FAST
@given(st.sampled_from(['token', 'password']), core, st.sampled_from(['\x00', '\x1b', '\x7f', '\n', '\r', '\t', '\x0b']), core)
def test_a_control_character_inside_is_refused_without_the_value(option, left, bad, right):
    message = refused(connection(**{option: left + bad + right}))
    assert message.startswith(option + ': contains a control character or a line break')
    # The message is fixed text: the same for any value (so a value that is a piece of that text is no leak).
    assert message == refused(connection(**{option: 'x\x00y'}))


@pytest.mark.parametrize('token', ['tök-€uro', 'tok-\u4e2d', 'tok-\U0001F600'])
def test_a_token_that_is_not_latin1_is_refused(token):
    message = refused(connection(token=token))
    assert message.startswith('token: contains characters that cannot be sent in an HTTP header')
    assert token not in message and token[3:] not in message


def test_a_latin1_token_and_any_unicode_password_are_accepted():
    check_connection_params(connection(token='tök-ÿ'))
    check_connection_params(connection(username='jösé', password='pässwörd-€-\u4e2d'))


@pytest.mark.parametrize('params, fragment', [
    (connection(token=''), 'token: is empty'),
    (connection(username='a:b', password='pw'), 'username: contains ":"'),
    (connection(retry_budget=-1), 'retry_budget: must be 0 or more'),
    (connection(caller=' alice'), 'caller:'),
    (connection(caller=''), 'caller:'),
])
def test_other_connection_mistakes(params, fragment):
    assert refused(params).startswith(fragment)


# ---------------------------------------------------------------------------------------------------- url

@pytest.mark.parametrize('url, fragment', [
    ('http://[::1', 'is not a valid URL (an IPv6 address bracket is not closed)'),
    ('https://user:pw/S3cr3t@platform.example', 'is not a valid URL (the port is not a number'),
    ('https://user:pw-S3cr3t@[::1', 'is not a valid URL (an IPv6'),
    ('https://[::1]:8443x', 'is not a valid URL'),
    ('https://platform.example:port', 'is not a valid URL'),
    ('https://platform.example:99999', 'is not a valid URL'),
    ('https://', 'has no host name'),
    ('http:///rest', 'has no host name'),
    ('https://platform.example\n', 'contains whitespace or a control character'),
    ('https://plat form.example', 'contains whitespace or a control character'),
    ('ftp://platform.example', 'must start with https://'),
    ('https://user:pw-S3cr3t@platform.example', 'holds credentials before the host'),
    ('https://platform.example/p@th', 'an @ in a path is written %40'),
    ('http://user:pw-S3cr3t@[::1', 'is not a valid URL'),
])
def test_bad_urls_are_refused_naming_url(url, fragment):
    message = refused(connection(url=url))
    assert message.startswith('url: ') and fragment in message, message
    assert 'S3cr3t' not in message and 'pw' not in message


@pytest.mark.parametrize('url', ['https://platform.example', 'http://127.0.0.1:8443/', 'https://[2001:db8::1]:8443',
                                 'https://platform.example/prefix'])
def test_good_urls_pass(url):
    check_connection_params(connection(url=url))


def test_the_spec_has_the_new_options():
    assert CONNECTION_ARGUMENT_SPEC['retry_budget'] == dict(type='int', default=60)
    assert CONNECTION_ARGUMENT_SPEC['caller']['type'] == 'str'


# ---------------------------------------------------------------------------------------------------- modules

def base_args(server, **extra):
    args = {'url': server.url, 'token': 'tok-S3cr3t-module', 'retries': 0}
    args.update(extra)
    return args


@pytest.mark.parametrize('extra, option', [
    ({'token': 'tok-S3cr3t-module\n'}, 'token'),
    ({'token': None, 'username': 'admin', 'password': 'pw-S3cr3t-module\n'}, 'password'),
    ({'token': 'tök-S3cr3t-€'}, 'token'),
    ({'url': 'http://[::1'}, 'url'),
])
@pytest.mark.parametrize('main', [ws_session_info.main, ws_session.main])
def test_modules_refuse_bad_connection_input_before_any_request(server, run_module, main, extra, option):
    args = base_args(server, **extra)
    if main is ws_session.main:
        args['session_id'] = ['s-1']
    code, result = run_module(main, {key: value for key, value in args.items() if value is not None})
    assert code == 1 and result['msg'].startswith(option + ': '), result
    assert server.requests == []
    assert 'S3cr3t' not in json.dumps(result, ensure_ascii=False)


def test_a_reason_phrase_echoing_the_password_is_masked_in_the_result(server, run_module):
    password = 'pässwörd-S3cr3t'
    handler = server.httpd.RequestHandlerClass
    original = handler.send_response
    handler.send_response = lambda self, code, message=None: original(self, code, 'no %s' % password.encode().decode('latin-1'))
    server.add(status=403, body=('{"error": "denied %s"}' % json.dumps(password)[1:-1].replace('/', '\\/')).encode())
    args = base_args(server, username='admin', password=password)
    del args['token']
    code, result = run_module(ws_session_info.main, args)
    text = json.dumps(result, ensure_ascii=False)
    assert code == 1 and 'HTTP 403' in result['msg'] and result['error']['status'] == 403
    assert 'S3cr3t' not in text and 'sswörd' not in text and 'p\\u00e4ss' not in text


def test_an_unexpected_exception_is_reported_redacted(server, run_module, monkeypatch):
    def boom(self, sites=None):
        raise RuntimeError('unexpected text quoting Bearer tok-S3cr3t-module and %s' % json.dumps('tok-S3cr3t-module'))

    monkeypatch.setattr(_api.IncoplaxClient, 'list_sessions', boom)
    code, result = run_module(ws_session_info.main, base_args(server))
    assert code == 1 and result['msg'].startswith('unexpected error (RuntimeError): ')
    assert 'S3cr3t' not in json.dumps(result) and 'Bearer ********' in result['msg']


def test_failed_target_errors_and_messages_are_scrubbed_again():
    with module_args({'url': 'https://p.example', 'token': 'tok-S3cr3t-scrub'}):
        module = IncoplaxModule(argument_spec={})
    result = module.scrub({'msg': 'a tok-S3cr3t-scrub b', 'error': {'reason': 'tok%2DS3cr3t%2Dscrub'},
                           'failed_targets': [{'target': 'u', 'error': 'x tok-S3cr3t-scrub'}, 'odd'],
                           'warnings': ['w tok-S3cr3t-scrub'], 'sessions': [{'login': 'kept'}]})
    assert 'S3cr3t' not in json.dumps(result)
    assert result['failed_targets'][1] == 'odd' and result['sessions'] == [{'login': 'kept'}]


@pytest.mark.parametrize('args, caller', [
    ({'token': 'tok-caller'}, None),
    ({'token': 'tok-caller', 'caller': 'svc-ansible'}, 'svc-ansible'),
    ({'username': 'admin', 'password': 'pw-caller'}, 'admin'),
    ({'username': 'admin', 'password': 'pw-caller', 'caller': 'u-0001'}, 'u-0001'),
])
def test_the_caller_defaults_to_the_username(args, caller):
    with module_args(dict(args, url='https://p.example')):
        module = IncoplaxModule(argument_spec={})
    assert module.caller == caller
    client = module.client()
    assert client.caller == caller and client.budget is module.budget and client.redactor is module.redactor


def test_the_caller_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv('INCOPLAX_CALLER', 'svc-env')
    with module_args({'url': 'https://p.example', 'token': 'tok-caller'}):
        module = IncoplaxModule(argument_spec={})
    assert module.caller == 'svc-env'
