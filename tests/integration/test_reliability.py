# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reliability under faults: real ansible-playbook against the emulator's fault injection.

Transient faults are retried (Retry-After honoured), lasting ones fail clearly, a hanging node fails after
``timeout`` without a retry; a bulk close that partly fails reports both halves truthfully; garbage answers
give clear errors, never a traceback; TLS works with a private CA; two forced logouts at once stay truthful.
No assertion bounds elapsed time from above: waits are checked by lower bounds, "not retried" by counting
requests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import random
import subprocess
import sys
import threading
import time


import pytest

from incoplax_testing.cast import SESSIONS_PATH, MASTER  # pylint: disable=import-error
from incoplax_testing.playbook import show_facts  # pylint: disable=import-error

INFO = 'incoplax.platform.ws_session_info'
CLOSE = 'incoplax.platform.ws_session'
FORCED_LOGOUT = 'incoplax.platform.forced_logout'
SAFETY_NET = 60


# ---------------------------------------------------------------------------------------------------- helpers

def conn(api, **options):
    return dict({'url': api.url, 'token': api.token, 'retries': 0, 'timeout': 10}, **options)


def module(name, action, args, fails=False, **keywords):
    item = dict({'name': name, action: args}, **keywords)
    if fails:
        item['ignore_errors'] = True
    return item


def control(name, api, path, body=None):
    """A uri task calling the emulator's control interface (POST with ``body``, else GET)."""
    args = {'url': api.url + path, 'method': 'GET' if body is None else 'POST', 'validate_certs': False,
            'status_code': 200, 'use_proxy': False}
    if body is not None:
        args.update(body_format='json', body=body)
    return {'name': name, 'ansible.builtin.uri': args}


def step(api, label, faults, tasks):
    """Reset the emulator, set ``faults``, run ``tasks``, then read the counters (task ``state <label>``)."""
    return ([control('reset ' + label, api, '/_emulator/reset', {}), control('faults ' + label, api, '/_emulator/faults', faults)]
            + tasks + [control('state ' + label, api, '/_emulator/state?sessions=false')])


def clock(name):
    return {'name': name, 'ansible.builtin.set_fact': {name.replace(' ', '_'): '{{ now().timestamp() }}'}}


def counters(run, label):
    return run.result('state ' + label)['json']['counters']


def assert_clean(run):
    """No Python traceback anywhere: every failure is a module's own clear message."""
    for text in (run.stdout, run.stderr, run.results_text):
        for sign in ('Traceback', 'MODULE FAILURE', 'module_stderr'):
            assert sign not in text, (sign, run.describe())
    # ansible-core 2.19+ reports an exception escaping a module as "Module failed: <exception text>".
    crashed = [(item['task'], item['result']['msg']) for item in run.results
               if str(item['result'].get('msg', '')).startswith(('Module failed: ', 'Task failed: Module failed: '))]
    assert not crashed, crashed


def failed(run, name, *words):
    item = run.task(name)
    assert item['status'] == 'failed', (name, item)
    message = item['result'].get('msg', '')
    for word in words:
        assert word in message, (name, word, message)
    return item['result']


def open_ids(api):
    return {entry['session_id'] for entry in api.state()['sessions']}


def ids_of(sessions, *logins):
    return sorted({entry['session_id'] for entry in sessions if entry['login'] in logins})


def closed_ids(result):
    return {entry['session_id'] for entry in result['closed']}


def wait_idle(api):
    """Wait until the emulator serves no request (a hung one included); a safety net, not a time bound."""
    deadline = time.monotonic() + SAFETY_NET
    while True:
        state = api.state()
        if state['counters']['in_flight'] == 0 or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def answering(payload, content_type='application/json; charset=utf-8'):
    """A GET answer of 200 with ``payload`` (bytes, or a value sent as JSON)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return lambda request: (200, {'Content-Type': content_type}, body)


# ---------------------------------------------------------------------------------------------------- transient faults

def test_transient_faults_are_retried_and_lasting_ones_fail_clearly(emulator, run_playbook):
    api = emulator
    user1 = ids_of(api.state()['sessions'], 'user0001')
    tasks = []
    tasks += step(api, '503 twice', {'fail_first': 2}, [module('503 twice', INFO, conn(api, retries=3))])
    tasks += step(api, 'reset twice', {'reset_first': 2}, [module('reset twice', INFO, conn(api, retries=3))])
    tasks += step(api, '429 once', {'rate_limit_first': 1, 'retry_after': 3}, [
        clock('before 429'), module('429 once', INFO, conn(api, retries=1)), clock('after 429')])
    tasks += step(api, 'close through 503', {'fail_first': 2}, [
        module('close through 503', CLOSE, conn(api, retries=3, sites='all', session_id=user1))])
    tasks += step(api, '503 past retries', {'fail_first': 10}, [module('503 past retries', INFO, conn(api, retries=2), fails=True)])
    tasks += step(api, '429 past retries', {'rate_limit_first': 10, 'retry_after': 1}, [
        clock('before 429 past'), module('429 past retries', CLOSE, conn(api, retries=1, match={'login': ['user0002']}), fails=True),
        clock('after 429 past')])
    tasks += step(api, 'reset past retries', {'reset_first': 10}, [
        module('reset past retries', INFO, conn(api, retries=1, sites='all'), fails=True)])
    # Last: the hung request is still sleeping in the emulator when the playbook ends.
    tasks += [control('reset hang', api, '/_emulator/reset', {}), control('faults hang', api, '/_emulator/faults', {'hang_ms': 3000}),
              module('hang', INFO, conn(api, retries=3, timeout=1), fails=True)]
    run = run_playbook(tasks).assert_ok()
    assert_clean(run)

    # Retried within ``retries``: the task succeeds, the emulator saw the faults then the answer.
    assert run.task('503 twice')['status'] == 'ok'
    assert counters(run, '503 twice')['GET'] == 3 and counters(run, '503 twice')['by_status'] == {'503': 2, '200': 1}
    assert run.task('reset twice')['status'] == 'ok'
    assert counters(run, 'reset twice')['connection_resets'] == 2 and counters(run, 'reset twice')['GET'] == 3
    assert run.task('429 once')['status'] == 'ok'
    assert counters(run, '429 once')['by_status'] == {'429': 1, '200': 1}
    # Retry-After: 3 was honoured (a lower bound only; without it the first retry does not wait at all).
    waited = float(run.fact('after_429')) - float(run.fact('before_429'))
    assert waited >= 3, waited
    assert run.task('close through 503')['status'] == 'changed'
    assert closed_ids(run.result('close through 503')) == set(user1)
    assert counters(run, 'close through 503')['by_status']['503'] == 2

    # Past ``retries``: a failure naming the status and the endpoint, after exactly 1 + retries requests.
    failed(run, '503 past retries', 'GET %s failed: HTTP 503' % SESSIONS_PATH, '503 Service Unavailable')
    assert counters(run, '503 past retries')['GET'] == 3
    result = failed(run, '429 past retries', 'GET %s failed: HTTP 429' % SESSIONS_PATH, 'rate limiting')
    assert result['error']['status'] == 429
    assert counters(run, '429 past retries')['GET'] == 2 and counters(run, '429 past retries')['POST'] == 0
    assert float(run.fact('after_429_past')) - float(run.fact('before_429_past')) >= 1
    failed(run, 'reset past retries', 'GET %s?sites=%%22all%%22 failed: cannot reach %s' % (SESSIONS_PATH, api.url))
    assert counters(run, 'reset past retries')['connection_resets'] == 2

    # A hanging node fails after ``timeout``, and is not asked again: exactly one request reached it.
    failed(run, 'hang', 'GET %s failed: no answer within timeout=1 seconds' % SESSIONS_PATH)
    state = wait_idle(api)
    assert state['counters']['in_flight'] == 0
    assert state['counters']['GET'] == state['counters']['total'] == 1, state['counters']


# ---------------------------------------------------------------------------------------------------- partial failures

def quiet_ends_seed(rate, requests):
    """A seed of the emulator's error_rate RNG (random.Random(seed), one draw per request) whose first and last
    draws pass and that fails at least two and at most all-but-two of the requests in between."""
    for seed in range(1, 10000):
        rng = random.Random(seed)
        draws = [rng.random() < rate for dummy in range(requests)]
        middle = sum(draws[1:-1])
        if not draws[0] and not draws[-1] and 2 <= middle <= requests - 4:
            return seed, middle
    raise AssertionError('no seed found')


def assert_truthful(result, before, after, targets, failing):
    """Every target is closed or failed, never both; closed ones are gone, failed ones still open."""
    closed = closed_ids(result)
    assert closed <= before, 'reported closed but never open: %s' % sorted(closed - before)
    assert not closed & after, 'reported closed but still open: %s' % sorted(closed & after)
    failed_ids = set(failing)
    assert failed_ids <= after, 'failed but gone: %s' % sorted(failed_ids - after)
    assert closed | failed_ids == set(targets) and not closed & failed_ids, (sorted(closed), sorted(failed_ids))
    assert {entry['session_id'] for entry in result['remaining']} == failed_ids


def test_partial_failures_in_bulk_operations_are_reported_truthfully(start_emulator, run_playbook):
    api = start_emulator('--users', '60', '--sessions-per-user', '2')
    sessions = api.state()['sessions']
    before = {entry['session_id'] for entry in sessions}
    users = ['user%04d' % number for number in range(1, 61)]
    by_id_targets = ids_of(sessions, *users[0:10])
    fail_sessions = by_id_targets[1:4] + ids_of(sessions, 'user0022')[:1]
    fail_users = ['user0012', users[14], 'user0027']
    api.set_faults({'fail_sessions': fail_sessions, 'fail_users': fail_users})
    rate_logins = users[30:60]
    rate_targets = ids_of(sessions, *rate_logins)
    seed, expected_failures = quiet_ends_seed(0.3, len(rate_targets) + 2)
    tasks = [
        module('by id', CLOSE, conn(api, sites='all', session_id=by_id_targets), fails=True),
        module('by user', CLOSE, conn(api, sites='all', user=users[10:20], domain=MASTER, concurrency=4), fails=True),
        module('by match', CLOSE, conn(api, sites='all', match={'login': users[20:24]}), fails=True),
        {'name': 'forced logout', 'block': [{'name': 'Run forced logout', 'ansible.builtin.include_role': {'name': FORCED_LOGOUT},
                                             'vars': {'forced_logout_users': users[24:28], 'forced_logout_domain': MASTER,
                                                      'incoplax_connection': conn(api)}}],
         'rescue': [{'name': 'Forced logout refused', 'ansible.builtin.debug': {'msg': '{{ ansible_failed_result.msg }}'}}],
         'always': show_facts('forced_logout_result')},
        control('faults error rate', api, '/_emulator/faults', {'error_rate': 0.3, 'seed': seed}),
        module('error rate', CLOSE, conn(api, sites='all', match={'login': rate_logins}, concurrency=8), fails=True),
    ]
    run = run_playbook(tasks).assert_ok()
    assert_clean(run)
    after = open_ids(api)

    result = failed(run, 'by id', '3 target(s) failed')
    assert sorted(item['target'] for item in result['failed_targets']) == sorted(fail_sessions[:3])
    for item in result['failed_targets']:
        assert (item['type'], item['status']) == ('session_id', 500)
        assert 'DELETE %s/%s' % (SESSIONS_PATH, item['target']) in item['error'] and 'HTTP 500' in item['error'], item
        assert item['target'] in result['msg']
    assert_truthful(result, before, after, by_id_targets, fail_sessions[:3])
    assert run.task('by id')['result']['changed'] is True and result['counts']['failed_targets'] == 3

    result = failed(run, 'by user', '2 target(s) failed', 'user0012', 'user0015')
    assert sorted((item['target'], item['type'], item['status']) for item in result['failed_targets']) == [
        ('user0012', 'user', 500), ('user0015', 'user', 500)]
    assert_truthful(result, before, after, ids_of(sessions, *users[10:20]), ids_of(sessions, 'user0012', 'user0015'))

    result = failed(run, 'by match', '1 target(s) failed', fail_sessions[3])
    assert_truthful(result, before, after, ids_of(sessions, *users[20:24]), fail_sessions[3:])

    report = run.fact('forced_logout_result')
    assert [(item['target'], item['status']) for item in report['failed_targets']] == [('user0027', 500)]
    assert 'user0027' in run.result('Forced logout refused')['msg']
    assert_truthful(report, before, after, ids_of(sessions, *users[24:28]), ids_of(sessions, 'user0027'))

    result = failed(run, 'error rate', '%d target(s) failed' % expected_failures)
    failing = [item['target'] for item in result['failed_targets']]
    assert len(failing) == expected_failures and {item['status'] for item in result['failed_targets']} == {500}
    assert_truthful(result, before, after, rate_targets, failing)
    log = api.requests()
    gets = [entry for entry in log if entry['method'] == 'GET']
    assert [entry['status'] for entry in gets[-2:]] == [200, 200], gets[-2:]


# ---------------------------------------------------------------------------------------------------- garbage answers

def test_garbage_answers_are_clear_errors(emulator, run_playbook, local_server):
    api = emulator
    kinds = {
        'html': 'answer is not JSON (expected a list of sessions)',
        'empty': 'answer is not JSON (expected a list of sessions)',
        'object': 'answer is a JSON dict, expected a list of sessions',
        'missing_fields': 'entry 0 of the answer is not a session object with a session_id',
    }
    servers = {
        'numbers': (answering([1, 2]), 'entry 0 of the answer is not a session object'),
        'null': (answering(None), 'expected a list of sessions'),
        'string': (answering('sessions'), 'expected a list of sessions'),
        'truncated': (answering(b'[{"session_id": "a", "login": '), 'answer is not JSON'),
        'id not a string': (answering([{'session_id': 17, 'login': 'x'}]), 'entry 0 of the answer is not a session object'),
        'html 500': (lambda request: (500, {'Content-Type': 'text/html'}, b'<html><body><h1>Internal error</h1><p>oops</p></body></html>'),
                     'HTTP 500'),
        'empty 502': (lambda request: (502, {'Content-Type': 'text/plain'}, b''), 'HTTP 502'),
    }
    tasks = []
    for kind in kinds:
        tasks += [control('garbage ' + kind, api, '/_emulator/faults', {'garbage': kind}),
                  module('info ' + kind, INFO, conn(api, sites='all'), fails=True),
                  module('close ' + kind, CLOSE, conn(api, sites='all', match={'login': ['user0001']}), fails=True)]
    urls = {}
    for name, (answer, _words) in servers.items():
        urls[name] = local_server(answer).url
        tasks += [module('info ' + name, INFO, dict(conn(api), url=urls[name]), fails=True),
                  module('close ' + name, CLOSE, dict(conn(api), url=urls[name], user=['x'], domain=MASTER), fails=True)]
    odd_bytes = local_server(answering(b'[{"session_id": "s-\xff", "login": "x"}]')).url
    tasks.append(module('info odd bytes', INFO, dict(conn(api), url=odd_bytes)))
    run = run_playbook(tasks).assert_ok()
    assert_clean(run)
    # Bytes that are not UTF-8 in a JSON answer are replaced, not fatal.
    assert [entry['session_id'] for entry in run.result('info odd bytes')['sessions']] == ['s-\ufffd']
    for kind, words in kinds.items():
        for action in ('info ', 'close '):
            result = failed(run, action + kind, 'GET %s?sites=%%22all%%22 failed' % SESSIONS_PATH, words)
            assert result['error']['status'] == 200
    assert '<html>' not in run.result('info html')['msg']
    for name, (_answer, words) in servers.items():
        for action in ('info ', 'close '):
            failed(run, action + name, 'GET %s failed' % SESSIONS_PATH, words)
    assert 'Internal error oops' in run.result('info html 500')['msg']
    # The platform never saw a POST or a DELETE: nothing acts on an answer it cannot read.
    counters_ = api.counters()
    assert counters_['POST'] == counters_['DELETE'] == 0
    assert len(api.state()['sessions']) == api.state()['session_count']


def test_entries_with_wrong_field_types_never_crash(run_playbook, local_server):
    """Vendor-shaped entries whose login, user id, domain or site are not strings (lists, objects, numbers, null)."""
    entries = [
        {'session_id': 's-1', 'session_type': 'http', 'site': ['central'], 'domain': MASTER, 'login': ['alice'],
         'user_id': {'id': 1}, 'ttl': 60},
        {'session_id': 's-2', 'session_type': 'http', 'site': None, 'domain': 7, 'login': {'name': 'bob'}, 'user_id': ['u'], 'ttl': 60},
        {'session_id': 's-3', 'session_type': 'http', 'site': 'central', 'domain': MASTER, 'login': 'carol', 'user_id': 'u-3', 'ttl': 60},
    ]
    server = local_server(answering(entries))
    args = {'url': server.url, 'token': 't', 'retries': 0}
    tasks = [
        module('info unfiltered', INFO, args, fails=True),
        module('info by login', INFO, dict(args, login=['carol']), fails=True),
        module('close by match', CLOSE, dict(args, match={'login': ['carol']}), check_mode=True, fails=True),
        module('close by user', CLOSE, dict(args, user=['carol'], domain=MASTER), check_mode=True, fails=True),
        module('close by id', CLOSE, dict(args, session_id=['s-3']), check_mode=True, fails=True),
    ]
    run = run_playbook(tasks).assert_ok()
    for name in ('info unfiltered', 'info by login', 'close by match', 'close by user', 'close by id'):
        item = run.task(name)
        # Either handled (carol's well-formed entry found) or refused with a message naming the answer.
        assert item['status'] != 'failed' or 'answer' in item['result'].get('msg', ''), (name, item['result'])
    assert_clean(run)
    if run.task('info by login')['status'] == 'ok':
        assert [entry['session_id'] for entry in run.result('info by login')['sessions']] == ['s-3']


def test_huge_list_is_handled(start_emulator, run_playbook):
    api = start_emulator('--users', '25000', '--sessions-per-user', '4')
    sessions = api.state()['sessions']
    assert len(sessions) > 100000
    websocket = [entry for entry in sessions if entry['session_type'] == 'websocket']
    tasks = [
        module('count websocket sessions', INFO, conn(api, sites='all', session_type=['websocket'], timeout=60), register='ws'),
        {'name': 'summary only', 'ansible.builtin.debug': {'msg': '{{ ws.summary }}'}},
        module('info one user', INFO, conn(api, sites='all', login=['user12345'], timeout=60)),
        module('close one user', CLOSE, conn(api, sites='all', user=['user20000'], domain=MASTER, timeout=60)),
        module('close by match', CLOSE, conn(api, sites='all', match={'login': ['user0042', 'user24999']}, timeout=60)),
        module('guard everything', CLOSE, conn(api, sites='all', match={'domain': [MASTER]}, max_sessions=10, timeout=60), fails=True),
    ]
    run = run_playbook(tasks).assert_ok()
    assert_clean(run)
    summary = run.result('summary only')['msg']
    assert summary['total'] == len(websocket) and summary['by_type'] == {'websocket': len(websocket)}
    assert summary['unique_session_ids'] == len({entry['session_id'] for entry in websocket})
    one = run.result('info one user')
    assert {entry['session_id'] for entry in one['sessions']} == set(ids_of(sessions, 'user12345'))
    assert one['summary']['total'] == len([entry for entry in sessions if entry['login'] == 'user12345'])
    state = api.state()
    after = {entry['session_id'] for entry in state['sessions']}
    for name, logins in (('close one user', ('user20000',)), ('close by match', ('user0042', 'user24999'))):
        result = run.result(name)
        assert run.task(name)['status'] == 'changed'
        assert closed_ids(result) == set(ids_of(sessions, *logins))
        assert not closed_ids(result) & after
    assert after == {entry['session_id'] for entry in sessions} - set(ids_of(sessions, 'user20000', 'user0042', 'user24999'))
    # The blast-radius guard trips before anything is closed, even with 100,000 sessions in scope.
    failed(run, 'guard everything', 'max_sessions', 'nothing was closed')
    assert state['counters']['DELETE'] == 8 and state['counters']['POST'] == 1


# ---------------------------------------------------------------------------------------------------- TLS

def openssl(*args, cwd):
    subprocess.run(['openssl'] + list(args), cwd=str(cwd), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(directory, name):
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
            '-keyout', name + '.key', '-out', name + '.pem', '-subj', '/CN=%s' % name,
            '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
            '-addext', 'subjectKeyIdentifier=hash', cwd=directory)
    return directory / (name + '.pem')


@pytest.fixture
def tls_files(tmp_path):
    """A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA."""
    if not any(os.access(os.path.join(folder, 'openssl'), os.X_OK) for folder in os.environ.get('PATH', '').split(os.pathsep)):
        pytest.fail('the openssl command is needed to make the test certificates')
    directory = tmp_path / 'tls'
    directory.mkdir()
    ca = make_ca(directory, 'test-ca')
    other = make_ca(directory, 'other-ca')
    (directory / 'server.ext').write_text('subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n'
                                          'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n'
                                          'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n')
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key',
            '-out', 'server.csr', '-subj', '/CN=127.0.0.1', cwd=directory)
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'test-ca.pem', '-CAkey', 'test-ca.key', '-CAcreateserial',
            '-days', '2', '-out', 'server.pem', '-extfile', 'server.ext', cwd=directory)
    return {'ca': str(ca), 'other': str(other), 'cert': str(directory / 'server.pem'), 'key': str(directory / 'server.key')}


def test_tls_with_a_private_ca(start_emulator, run_playbook, tls_files):
    api = start_emulator('--tls-cert', tls_files['cert'], '--tls-key', tls_files['key'])
    assert api.url.startswith('https://127.0.0.1:')
    base = {'url': api.url, 'token': api.token, 'retries': 0, 'sites': 'all'}
    tasks = [
        module('verify without ca_path', INFO, base, fails=True),
        module('verify with ca_path', INFO, dict(base, ca_path=tls_files['ca'])),
        module('verify with the wrong ca_path', INFO, dict(base, ca_path=tls_files['other']), fails=True),
        module('no verification', INFO, dict(base, validate_certs=False)),
        module('close with ca_path', CLOSE, dict(base, ca_path=tls_files['ca'], user=['user0001'], domain=MASTER)),
    ]
    run = run_playbook(tasks).assert_ok()
    assert_clean(run)
    for name in ('verify without ca_path', 'verify with the wrong ca_path'):
        message = failed(run, name, 'TLS error', 'ca_path', 'validate_certs')['msg']
        assert 'certificate' in message.lower(), message
    assert run.task('verify with ca_path')['status'] == run.task('no verification')['status'] == 'ok'
    assert run.result('verify with ca_path')['summary']['total'] == api.state()['session_count'] + 2
    assert run.task('close with ca_path')['status'] == 'changed'

    # The same from the environment, and a wrong REQUESTS_CA_BUNDLE never overrides validate_certs or ca_path.
    plain = {'url': api.url, 'token': api.token, 'retries': 0}
    run = run_playbook([module('ca_path from env', INFO, plain), module('ca_path from env, verification off', INFO, dict(plain, validate_certs=False))],
                       env={'INCOPLAX_CA_PATH': tls_files['ca'], 'REQUESTS_CA_BUNDLE': tls_files['other']}).assert_ok()
    assert run.task('ca_path from env')['status'] == 'ok' and run.task('ca_path from env, verification off')['status'] == 'ok'
    tasks = [
        module('verification off from env', INFO, plain),
        module('verification off explicitly', INFO, dict(plain, validate_certs=False)),
        module('explicit ca_path beats the bundle', INFO, dict(plain, validate_certs=True, ca_path=tls_files['ca'])),
        module('verification on, wrong bundle', INFO, dict(plain, validate_certs=True), fails=True),
    ]
    env = {'INCOPLAX_VALIDATE_CERTS': 'false', 'REQUESTS_CA_BUNDLE': tls_files['other'], 'CURL_CA_BUNDLE': tls_files['other']}
    run = run_playbook(tasks, env=env).assert_ok()
    assert_clean(run)
    for name in ('verification off from env', 'verification off explicitly', 'explicit ca_path beats the bundle'):
        assert run.task(name)['status'] == 'ok', run.describe()
    failed(run, 'verification on, wrong bundle', 'TLS error')


# ---------------------------------------------------------------------------------------------------- concurrency

BARRIER = '''
import os, sys, time
open(sys.argv[1], "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(sys.argv[2]) and time.monotonic() < deadline:
    time.sleep(0.01)
'''


def test_two_forced_logouts_at_once_stay_truthful(start_emulator, run_playbook, tmp_path):
    api = start_emulator('--users', '10', '--sessions-per-user', '3', '--latency-ms', '50')
    sessions = api.state()['sessions']
    before = {entry['session_id'] for entry in sessions}
    users = ['user%04d' % number for number in range(1, 11)]
    targets = set(ids_of(sessions, *users))
    scopes = {'a': 'all', 'b': ['central', 'east', 'west']}

    def play(me, other):
        return [
            {'name': 'Meet the other run', 'ansible.builtin.command': {
                'argv': [sys.executable, '-c', BARRIER, str(tmp_path / me), str(tmp_path / other)]}, 'changed_when': False},
            {'name': 'Forced logout', 'ansible.builtin.include_role': {'name': FORCED_LOGOUT}, 'vars': {
                'forced_logout_users': users, 'forced_logout_domain': MASTER, 'forced_logout_sites': scopes[me],
                'forced_logout_concurrency': 2, 'incoplax_connection': conn(api, retries=2)}},
        ] + show_facts('forced_logout_result')

    runs = {}

    def start(me, other):
        runs[me] = run_playbook(play(me, other))

    first = threading.Thread(target=start, args=('a', 'b'))
    first.start()
    # run_playbook numbers its work directories: let the first call take run1 before the second starts.
    deadline = time.monotonic() + SAFETY_NET
    while not (tmp_path / 'run1').exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    second = threading.Thread(target=start, args=('b', 'a'))
    second.start()
    first.join()
    second.join()
    state = api.state()
    after = {entry['session_id'] for entry in state['sessions']}
    assert not targets & after, sorted(targets & after)
    covered = set()
    for me in ('a', 'b'):
        run = runs[me].assert_ok()
        assert_clean(run)
        report = run.fact('forced_logout_result')
        assert report['failure'] is None and report['failed_targets'] == [] and report['remaining'] == [], report
        closed = closed_ids(report)
        assert closed <= before and not closed & after, (me, sorted(closed - before), sorted(closed & after))
        assert closed <= targets
        covered |= closed
    assert covered == targets
    # Both runs really reached the platform (their listings carry their own sites scope).
    queries = [api.sites_query(entry) for entry in state['requests'] if entry['method'] == 'GET']
    assert scopes['a'] in queries and scopes['b'] in queries, queries


# ---------------------------------------------------------------------------------------------------- bounded time

BUDGET_SPENT = 'the retry budget of %d s is spent'


def test_a_429_storm_is_bounded_by_the_retry_budget(emulator, run_playbook):
    """Retry-After: 3600 on every request: with a small retry_budget the tasks end at once, after one try each."""
    api = emulator
    users = ['user%04d' % number for number in range(1, 10)]
    storm = {'rate_limit_first': 1000, 'retry_after': 3600}
    tasks = []
    tasks += step(api, 'storm listing', storm, [module('storm listing', INFO, conn(api, retries=3, retry_budget=2, sites='all'), fails=True)])
    tasks += step(api, 'storm logout', storm, [
        module('storm logout', CLOSE, conn(api, retries=3, retry_budget=2, sites='all', user=users, domain=MASTER, concurrency=3), fails=True)])
    tasks += step(api, 'storm default budget', storm, [module('storm default budget', INFO, conn(api, retries=3, retry_budget=0), fails=True)])
    # Two 429 with Retry-After: 1 and a budget of 1 s: the first wait fits, the second does not.
    tasks += step(api, 'short waits', {'rate_limit_first': 2, 'retry_after': 1}, [
        module('short waits', INFO, conn(api, retries=5, retry_budget=1), fails=True)])
    tasks += step(api, 'within budget', {'rate_limit_first': 1, 'retry_after': 1}, [
        module('within budget', INFO, conn(api, retries=5, retry_budget=1))])
    run = run_playbook(tasks).assert_ok()
    assert_clean(run)

    result = failed(run, 'storm listing', 'GET %s?sites=%%22all%%22 failed: HTTP 429' % SESSIONS_PATH, BUDGET_SPENT % 2,
                    'Retry-After: 3600', 'raise retry_budget')
    assert result['error']['status'] == 429
    assert counters(run, 'storm listing')['GET'] == 1
    # The logout needs its listing first: refused at once, nothing sent.
    failed(run, 'storm logout', 'HTTP 429', BUDGET_SPENT % 2)
    assert counters(run, 'storm logout')['GET'] == 1 and counters(run, 'storm logout')['POST'] == 0
    failed(run, 'storm default budget', BUDGET_SPENT % 0)
    assert counters(run, 'storm default budget')['GET'] == 1
    failed(run, 'short waits', 'HTTP 429', BUDGET_SPENT % 1, '(1 s waited in this task')
    assert counters(run, 'short waits')['GET'] == 2
    assert run.task('within budget')['status'] == 'ok'
    assert counters(run, 'within budget')['by_status'] == {'429': 1, '200': 1}


def rate_limiting_platform(sessions, answering_users):
    """A stub platform: GET lists what is open; a POST logout of ``answering_users`` works, any other gets 429 with
    ``Retry-After: 3600`` (the emulator's rate limit applies to the first requests whatever their method, so it
    cannot let the listing through and limit the logouts)."""
    state = {'sessions': list(sessions)}
    lock = threading.Lock()
    json_type = {'Content-Type': 'application/json; charset=utf-8'}

    def answer(request):
        if request['method'] == 'GET':
            with lock:
                return 200, json_type, json.dumps(state['sessions']).encode()
        user = json.loads(request['body'] or b'{}').get('user')
        if request['method'] == 'POST' and user in answering_users:
            with lock:
                state['sessions'] = [entry for entry in state['sessions'] if entry['login'] != user]
            return 200, json_type, b'{"status": "logged out all sessions but current"}'
        return 429, dict(json_type, **{'Retry-After': '3600'}), b'{"error": "too many requests"}'

    return answer


def test_a_multi_user_logout_under_a_429_storm_reports_target_by_target(local_server, run_playbook):
    users = ['user%04d' % number for number in range(1, 10)]
    answering = {'user0002', 'user0005', 'user0009'}
    sessions = [{'session_id': 's-%s-%d' % (login, index), 'session_type': 'http', 'site': 'central', 'domain': MASTER,
                 'login': login, 'user_id': 'u-' + login, 'ttl': 600} for login in users for index in (1, 2)]
    module_stub = local_server(rate_limiting_platform(sessions, answering))
    role_stub = local_server(rate_limiting_platform(sessions, answering))
    connection = {'token': 'tok-storm', 'retries': 3, 'retry_budget': 2, 'timeout': 10}
    tasks = [
        module('logout under storm', CLOSE, dict(connection, url=module_stub.url, user=users, domain=MASTER, concurrency=3),
               fails=True),
        {'name': 'forced logout', 'block': [{'name': 'Run forced logout', 'ansible.builtin.include_role': {'name': FORCED_LOGOUT},
                                             'vars': {'forced_logout_users': users, 'forced_logout_domain': MASTER,
                                                      'incoplax_connection': dict(connection, url=role_stub.url)}}],
         'rescue': [{'name': 'Forced logout refused', 'ansible.builtin.debug': {'msg': '{{ ansible_failed_result.msg }}'}}],
         'always': show_facts('forced_logout_result')},
    ]
    run = run_playbook(tasks).assert_ok()
    assert_clean(run)
    refused = sorted(set(users) - answering)
    closed = {entry['session_id'] for entry in sessions if entry['login'] in answering}

    result = failed(run, 'logout under storm', '%d target(s) failed' % len(refused))
    assert sorted(item['target'] for item in result['failed_targets']) == refused
    for item in result['failed_targets']:
        assert (item['type'], item['status']) == ('user', 429), item
        assert 'POST %s failed: HTTP 429' % SESSIONS_PATH in item['error'] and BUDGET_SPENT % 2 in item['error'], item
    # What was closed is still reported, and each logout was sent exactly once (no retry after the budget was spent).
    assert closed_ids(result) == closed and run.task('logout under storm')['result']['changed'] is True
    posts = [json.loads(request['body'])['user'] for request in module_stub.requests if request['method'] == 'POST']
    assert sorted(posts) == users

    report = run.fact('forced_logout_result')
    assert sorted(item['target'] for item in report['failed_targets']) == refused
    assert all(BUDGET_SPENT % 2 in item['error'] for item in report['failed_targets'])
    assert closed_ids(report) == closed
    role_posts = [json.loads(request['body'])['user'] for request in role_stub.requests if request['method'] == 'POST']
    assert sorted(role_posts) == users
    assert 'target(s) failed' in run.result('Forced logout refused')['msg'] or 'failed' in run.result('Forced logout refused')['msg']


def test_a_change_lost_after_sending_may_have_been_delivered(run_playbook, closed_port, resetting_server):
    entries = [{'session_id': 's-%d' % index, 'session_type': 'http', 'site': 'central', 'domain': MASTER,
                'login': 'user%04d' % index, 'user_id': 'u-%d' % index, 'ttl': 600} for index in (1, 2)]
    # GETs are answered with the entries; each POST or DELETE is read whole, then reset without an answer.
    # (The emulator's ``reset_first`` resets the first requests whatever their method: the listing too.)
    platform = resetting_server(entries)
    try:
        args = {'url': platform.url, 'token': 'tok-reset', 'retries': 1, 'timeout': 10}
        dead = dict(args, url='http://127.0.0.1:%d' % closed_port)
        tasks = [
            module('reset logout', CLOSE, dict(args, user=['user0001'], domain=MASTER), fails=True),
            module('reset delete', CLOSE, dict(args, session_id=['s-2']), fails=True),
            module('unreachable close', CLOSE, dict(dead, session_id=['s-2']), fails=True),
        ]
        run = run_playbook(tasks).assert_ok()
    finally:
        platform.stop()
    assert_clean(run)
    for name, method in (('reset logout', 'POST'), ('reset delete', 'DELETE')):
        result = failed(run, name, '1 target(s) failed')
        (item,) = result['failed_targets']
        assert '%s %s' % (method, SESSIONS_PATH) in item['error'], item
        assert 'connection lost after the request was sent: it may have been delivered' in item['error'], item
        assert 'cannot reach' not in item['error'] and item['status'] is None
    # Each change was sent twice (retries: 1), each time read whole by the platform before the reset.
    assert platform.requests.count('POST') == 2 and platform.requests.count('DELETE') == 2
    # A platform that cannot be reached at all: "cannot reach", and nothing may have been delivered.
    message = failed(run, 'unreachable close', 'cannot reach')['msg']
    assert 'may have been delivered' not in message
