# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection through POST /_emulator/faults and the command line."""

import time

import pytest
import requests

from emulator_testlib import ids

LOGOUT_ALICE = {'action': 'logout', 'domain': 'master.domain', 'user': 'alice', 'sites': 'all'}


def test_fail_first_answers_503_html(sample):
    assert sample.faults({'fail_first': 2}) == {'fail_first': 2}
    for _attempt in range(2):
        response = sample.get()
        assert response.status_code == 503
        assert response.headers['Content-Type'].startswith('text/html')
        assert response.text == '<html><body>503 Service Unavailable</body></html>'
    assert sample.control('GET', 'faults') == {'fail_first': 0}
    assert sample.get().status_code == 200
    assert sample.state(sessions=False)['counters']['by_status'] == {'503': 2, '200': 1}


def test_rate_limit_first_sends_retry_after(sample):
    sample.faults({'rate_limit_first': 1, 'retry_after': 3})
    response = sample.delete('s-a1')
    assert response.status_code == 429
    assert response.headers['Retry-After'] == '3'
    assert sample.delete('s-a1').status_code == 204
    sample.faults({'rate_limit_first': 1})
    assert sample.get().headers['Retry-After'] == '1'


def test_reset_first_drops_the_connection(sample):
    sample.faults({'reset_first': 1})
    with pytest.raises(requests.ConnectionError):
        sample.get()
    assert sample.get().status_code == 200
    state = sample.state(sessions=False)
    assert state['counters']['connection_resets'] == 1 and state['counters']['total'] == 2
    assert state['requests'][0]['status'] is None


def test_error_rate(sample):
    sample.faults({'error_rate': 1.0})
    for _attempt in range(3):
        response = sample.get()
        assert response.status_code == 500
        assert response.json() == {'error': 'injected'}
    sample.faults({'error_rate': 0.5, 'seed': 11})
    first = [sample.get().status_code for _attempt in range(20)]
    sample.faults({'error_rate': 0.5, 'seed': 11})
    assert [sample.get().status_code for _attempt in range(20)] == first
    assert set(first) == {200, 500}


def test_fail_users_closes_nothing(sample):
    sample.faults({'fail_users': ['alice', 'u-bob']})
    response = sample.logout(LOGOUT_ALICE)
    assert response.status_code == 500
    assert response.json() == {'error': 'injected failure for user alice'}
    assert sample.logout(dict(LOGOUT_ALICE, user='u-bob')).status_code == 500
    assert len(sample.sessions('all')) == 9
    assert sample.logout(dict(LOGOUT_ALICE, user='admin')).status_code == 200


def test_fail_sessions_closes_nothing(sample):
    sample.faults({'fail_sessions': ['s-a1']})
    response = sample.delete('s-a1')
    assert response.status_code == 500
    assert 's-a1' in response.json()['error']
    assert ('s-a1', 'http') in ids(sample.sessions())
    assert sample.delete('s-x1').status_code == 204


def test_garbage_variants(sample):
    sample.faults({'garbage': 'html'})
    response = sample.get()
    assert response.status_code == 200 and response.headers['Content-Type'].startswith('text/html')
    with pytest.raises(ValueError):
        response.json()
    sample.faults({'garbage': 'empty'})
    response = sample.get()
    assert response.status_code == 200 and response.content == b''
    sample.faults({'garbage': 'object'})
    body = sample.get('all').json()
    assert isinstance(body, dict) and len(body['sessions']) == 9
    sample.faults({'garbage': 'missing_fields'})
    body = sample.get('all').json()
    assert len(body) == 9
    assert all('session_id' not in entry and 'login' not in entry and 'ttl' in entry for entry in body)
    # garbage is for GET only
    assert sample.delete('s-a1').status_code == 204


def test_hang_ms_trips_client_timeout(sample):
    sample.faults({'hang_ms': 3000})
    with pytest.raises(requests.Timeout):
        sample.get(timeout=0.3)
    # The client gave up while the emulator still holds the request.
    sample.wait_in_flight(1)
    sample.faults({})
    assert sample.get().status_code == 200
    # Let the hung request finish here rather than in a later test's counters.
    counters = sample.wait_in_flight(0)
    assert counters['GET'] == 2 and counters['by_status'] == {'200': 2}


def test_relogin_after(sample):
    sample.faults({'relogin_after': 0.4, 'relogin_users': ['alice']})
    assert sample.logout(LOGOUT_ALICE).status_code == 200
    assert sample.delete('s-b1', 'all').status_code == 204
    assert not [entry for entry in sample.sessions('all') if entry['user_id'] == 'u-alice']
    time.sleep(0.5)
    alice = [entry for entry in sample.sessions('all') if entry['user_id'] == 'u-alice']
    assert len(alice) == 1
    new = alice[0]
    assert new['session_type'] == 'http' and new['site'] == 'central' and new['login'] == 'alice'
    assert new['domain'] == 'master.domain' and new['session_id'] not in ('s-a1', 's-a2')
    assert 's-b1' not in {entry['session_id'] for entry in sample.sessions('all')}
    # relogin_times defaults to 1: a second logout is final.
    assert sample.logout(LOGOUT_ALICE).status_code == 200
    time.sleep(0.5)
    assert not [entry for entry in sample.sessions('all') if entry['user_id'] == 'u-alice']


def test_latency_does_not_serialize_requests(sample):
    sample.faults({'latency_ms': 150})
    started = time.monotonic()
    assert sample.get().status_code == 200
    assert time.monotonic() - started >= 0.15
    sample.wait_in_flight(0)


def test_faults_validation_and_reset_clears(sample):
    response = requests.post(sample.url + '/_emulator/faults', json={'nonsense': 1}, timeout=10)
    assert response.status_code == 400 and 'nonsense' in response.json()['error']
    response = requests.post(sample.url + '/_emulator/faults', json={'error_rate': 2}, timeout=10)
    assert response.status_code == 400
    response = requests.post(sample.url + '/_emulator/faults', json={'garbage': 'xml'}, timeout=10)
    assert response.status_code == 400
    sample.faults({'fail_first': 5, 'latency_ms': 1})
    sample.reset()
    assert sample.control('GET', 'faults') == {}
    assert sample.get().status_code == 200


def test_faults_do_not_touch_control_paths(sample):
    sample.faults({'fail_first': 3, 'reset_first': 3})
    assert sample.state()['counters']['total'] == 0
    assert sample.control('GET', 'faults')['reset_first'] == 3


def test_cli_fault_flags(start_emulator):
    emulator = start_emulator('--fail-first', '1', '--rate-limit-first', '1', '--retry-after', '7', '--fail-users', 'user0001,x')
    assert emulator.get().status_code == 503
    response = emulator.get()
    assert response.status_code == 429 and response.headers['Retry-After'] == '7'
    assert emulator.get().status_code == 200
    faults = emulator.control('GET', 'faults')
    assert faults['fail_users'] == ['user0001', 'x'] and faults['retry_after'] == 7
    emulator.reset()
    assert emulator.control('GET', 'faults') == {}


def test_ignore_sites_acts_on_every_site(sample):
    sample.faults({'ignore_sites': True})
    assert ids(sample.sessions(['east'])) == ids(sample.sessions('all'))
    assert sample.delete('s-a1', sites=['west']).status_code == 204
    assert 's-a1' not in {entry['session_id'] for entry in sample.sessions('all')}
    assert sample.logout(dict(LOGOUT_ALICE, sites=['west'])).status_code == 200
    assert {entry['session_id'] for entry in sample.sessions('all') if entry['login'] == 'alice'} == {'s-x1'}


def test_close_delay_keeps_closed_sessions_listed_for_a_while(sample):
    sample.faults({'close_delay': 0.5})
    assert sample.delete('s-a1', sites='all').status_code == 204
    assert sample.logout(dict(LOGOUT_ALICE, user='bob')).status_code == 200
    listed = {entry['session_id'] for entry in sample.sessions('all')}
    assert {'s-a1', 's-b1', 'bob/with/slash'} <= listed
    deadline = time.monotonic() + 10
    while listed & {'s-a1', 's-b1', 'bob/with/slash'} and time.monotonic() < deadline:
        time.sleep(0.1)
        listed = {entry['session_id'] for entry in sample.sessions('all')}
    assert not listed & {'s-a1', 's-b1', 'bob/with/slash'}
    assert 's-a2' in listed


def test_stale_sessions_answer_404_and_stay_listed(sample):
    sample.faults({'stale_sessions': ['s-a1']})
    response = sample.delete('s-a1', sites='all')
    assert response.status_code == 404
    assert ('s-a1', 'http') in ids(sample.sessions('all'))


def test_ghost_sessions_answer_404_and_are_gone(sample):
    sample.faults({'ghost_sessions': ['s-a2']})
    assert sample.delete('s-a2', sites='all').status_code == 404
    assert 's-a2' not in {entry['session_id'] for entry in sample.sessions('all')}


def test_new_faults_from_the_command_line(start_emulator):
    emulator = start_emulator('--ignore-sites', '--close-delay', '2', '--stale-sessions', 'a,b', '--ghost-sessions', 'c')
    assert emulator.control('GET', 'faults') == {'ignore_sites': True, 'close_delay': 2.0, 'stale_sessions': ['a', 'b'],
                                                 'ghost_sessions': ['c']}
