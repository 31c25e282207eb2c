# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""The control interface: state, counters, request log, reset and load."""

import requests

from emulator_testlib import SAMPLE


def test_state_counts_only_vendor_requests(sample):
    sample.get('all')
    sample.get('bogus')
    sample.logout({'action': 'logout', 'domain': 'master.domain', 'user': 'alice'})
    sample.delete('no-such-id')
    requests.get(sample.vendor, timeout=10)
    requests.get(sample.url + '/elsewhere', timeout=10)
    sample.state()
    sample.wait_in_flight(0)
    state = sample.state()
    counters = state['counters']
    busy = counters.pop('busy_seconds')
    max_in_flight = counters.get('max_in_flight')
    assert counters == {
        'GET': 3, 'POST': 1, 'DELETE': 1, 'total': 5, 'connection_resets': 0,
        'by_status': {'200': 2, '400': 1, '404': 1, '401': 1}, 'in_flight': 0, 'max_in_flight': max_in_flight,
    }
    # Sequential requests, but one may start before the previous one has left the in-flight count.
    assert max_in_flight >= 1
    assert isinstance(busy, float) and busy > 0
    log = state['requests']
    assert [entry['status'] for entry in log] == [200, 400, 200, 404, 401]
    assert log[0] == {'method': 'GET', 'path': '/rest/v1/master/logicalroles/ws/sessions', 'query': 'sites=%22all%22', 'body': None, 'status': 200}
    assert log[2]['body'] == {'action': 'logout', 'domain': 'master.domain', 'user': 'alice'}
    assert log[3]['path'].endswith('/sessions/no-such-id')
    assert 'Authorization' not in str(log) and 'emulator-token' not in str(log)


def test_state_document(sample):
    state = sample.state()
    assert state['current_site'] == 'central' and state['sites'] == ['central', 'east', 'west']
    assert state['caller_session_id'] == 'own-0001'
    assert state['session_count'] == len(state['sessions']) == 9
    assert all(isinstance(entry['ttl'], int) and entry['ttl'] > 0 for entry in state['sessions'])
    cheap = sample.state(sessions=False)
    assert 'sessions' not in cheap and cheap['session_count'] == 9


def test_reset_restores_data_and_zeroes_counters(emulator):
    before = emulator.state()['sessions']
    emulator.delete(before[-1]['session_id'], 'all')
    emulator.load(SAMPLE)
    assert emulator.state()['counters']['total'] == 0
    emulator.get()
    emulator.wait_in_flight(0)
    assert emulator.reset() == {'status': 'reset'}
    after = emulator.state()
    assert after['counters']['total'] == 0 and after['requests'] == []
    assert after['counters']['busy_seconds'] == 0 and after['counters']['max_in_flight'] == 0
    assert [dict(entry, ttl=0) for entry in after['sessions']] == [dict(entry, ttl=0) for entry in before]


def test_load_replaces_data(emulator):
    assert emulator.load(SAMPLE) == {'status': 'loaded', 'sessions': 9}
    assert len(emulator.sessions('all')) == 9
    fixture = {'sessions': [{'session_id': 'only', 'login': 'z', 'user_id': 'uz', 'site': 'north', 'session_type': 'websocket',
                             'domain': 'd', 'ttl': 50, 'connections': []}]}
    emulator.load(fixture)
    state = emulator.state()
    assert state['current_site'] == 'north' and state['sites'] == ['north']
    assert emulator.sessions() == [dict(fixture['sessions'][0], ttl=50)]


def test_load_rejects_bad_fixtures(emulator):
    for fixture in ({'sessions': [{'session_id': 'x'}]}, {'sessions': 'x'}, [1],
                    {'sessions': [], 'current_site': 'a', 'credentials': {'tokens': {'t': {'login': 'a'}}}},
                    {'sessions': [{'session_id': 'x', 'login': 'z', 'user_id': 'uz', 'site': 'a', 'session_type': 'ftp', 'domain': 'd'}]}):
        response = requests.post(emulator.url + '/_emulator/load', json=fixture, timeout=10)
        assert response.status_code == 400 and response.json()['error']
    response = requests.post(emulator.url + '/_emulator/load', data=b'{', timeout=10)
    assert response.status_code == 400
    assert emulator.state(sessions=False)['session_count'] > 0


def test_control_unknown_and_wrong_method(emulator):
    assert requests.get(emulator.url + '/_emulator/nothing', timeout=10).status_code == 404
    response = requests.get(emulator.url + '/_emulator/reset', timeout=10)
    assert response.status_code == 405 and response.headers['Allow'] == 'POST'
