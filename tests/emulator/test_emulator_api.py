# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Vendor behaviour: sites scope, ttl, GET/POST/DELETE, auth."""

import base64
import http.client
import time
import urllib.parse

import pytest
import requests

from emulator_testlib import ids

ADMIN_OWN = [('own-0001', 'http'), ('own-0001', 'websocket')]


def _error(response, status):
    assert response.status_code == status, response.text
    assert response.headers['Content-Type'].startswith('application/json')
    body = response.json()
    assert isinstance(body, dict) and isinstance(body['error'], str) and body['error']
    return body['error']


# sites

def test_get_default_scope_is_current_site(sample):
    response = sample.get()
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/json; charset=utf-8'
    entries = response.json()
    assert {entry['site'] for entry in entries} == {'central'}
    assert ids(entries) == sorted(ADMIN_OWN + [('bob/with/slash', 'http'), ('s-a1', 'http'), ('s-a1', 'websocket'), ('s-x1', 'http')])
    assert ids(sample.sessions('current')) == ids(entries)


def test_get_all_and_lists(sample):
    assert len(sample.sessions('all')) == 9
    assert ids(sample.sessions(['east'])) == [('adm-east', 'http'), ('s-a2', 'http')]
    assert {entry['site'] for entry in sample.sessions(['east', 'west'])} == {'east', 'west'}
    assert not sample.sessions(['nowhere'])
    assert ids(sample.sessions(['nowhere', 'west'])) == [('s-b1', 'http')]


def test_get_entry_shape(sample):
    entries = sample.sessions('all')
    for entry in entries:
        keys = {'domain', 'login', 'session_id', 'session_type', 'site', 'ttl', 'user_id'}
        if entry['session_type'] == 'websocket':
            keys.add('connections')
            assert set(entry['connections'][0]) == {'conn_id', 'is_pid_alive', 'node', 'pid'}
        assert set(entry) == keys
        assert isinstance(entry['ttl'], int)


@pytest.mark.parametrize('raw', [
    '!all', '!current', '1', '{}', '[]', '[1]', '[""]', '"everything"', 'null', '!not json', '!', '!["central"', '"ALL"',
])
def test_get_bad_sites_400(sample, raw):
    assert 'sites' in _error(sample.get(raw), 400)


def test_repeated_sites_400(sample):
    response = sample.http.get(sample.vendor + '?sites=%22all%22&sites=%22all%22', timeout=10)
    _error(response, 400)


# ttl

def test_ttl_counts_down_and_entries_expire(sample):
    sample.load({'current_site': 'central', 'sessions': [
        {'session_id': 'short', 'login': 'a', 'user_id': 'ua', 'site': 'central', 'session_type': 'http', 'domain': 'd', 'ttl': 1},
        {'session_id': 'two', 'login': 'a', 'user_id': 'ua', 'site': 'central', 'session_type': 'http', 'domain': 'd', 'ttl': 2},
        {'session_id': 'long', 'login': 'a', 'user_id': 'ua', 'site': 'central', 'session_type': 'http', 'domain': 'd', 'ttl': 100},
    ]})
    first = {entry['session_id']: entry['ttl'] for entry in sample.sessions()}
    assert first == {'short': 1, 'two': 2, 'long': 100}
    time.sleep(1.1)
    second = {entry['session_id']: entry['ttl'] for entry in sample.sessions()}
    assert second == {'two': 1, 'long': 99}
    time.sleep(1.0)
    third = {entry['session_id']: entry['ttl'] for entry in sample.sessions()}
    assert third == {'long': 98}
    assert sample.state()['session_count'] == 1


# DELETE

def test_delete_removes_http_and_websocket_entries(sample):
    response = sample.delete('s-a1')
    assert response.status_code == 204
    assert response.content == b''
    remaining = ids(sample.sessions('all'))
    assert not [pair for pair in remaining if pair[0] == 's-a1']
    assert ('s-a2', 'http') in remaining
    _error(sample.delete('s-a1'), 404)


def test_delete_respects_sites_scope(sample):
    _error(sample.delete('s-a2'), 404)
    _error(sample.delete('s-a2', ['west']), 404)
    assert sample.delete('s-a2', ['east']).status_code == 204
    assert sample.delete('s-b1', 'all').status_code == 204
    assert not {'s-a2', 's-b1'} & {entry['session_id'] for entry in sample.sessions('all')}


def test_delete_id_with_slash(sample):
    response = sample.delete(urllib.parse.quote('bob/with/slash', safe=''))
    assert response.status_code == 204
    assert 'bob/with/slash' not in {entry['session_id'] for entry in sample.sessions('all')}
    assert sample.state()['requests'][-2]['path'].endswith('/bob%2Fwith%2Fslash')


def test_delete_unknown_and_bad_paths(sample):
    assert 'no-such-id' in _error(sample.delete('no-such-id', 'all'), 404)
    _error(sample.delete('s-a1', 'bogus'), 400)
    _error(sample.http.delete(sample.vendor + '/a/b', timeout=10), 404)
    assert len(sample.sessions('all')) == 9


# POST logout

def test_logout_by_login_in_domain_only(sample):
    response = sample.logout({'action': 'logout', 'domain': 'master.domain', 'user': 'alice', 'sites': 'all'})
    assert response.status_code == 200
    assert response.json() == {'status': 'logged out all sessions but current'}
    remaining = sample.sessions('all')
    assert not [entry for entry in remaining if entry['login'] == 'alice' and entry['domain'] == 'master.domain']
    assert ('s-x1', 'http') in ids(remaining)


def test_logout_by_user_id_default_scope_is_current_site(sample):
    assert sample.logout({'action': 'logout', 'domain': 'master.domain', 'user': 'u-bob'}).status_code == 200
    bob = [entry['session_id'] for entry in sample.sessions('all') if entry['login'] == 'bob']
    assert bob == ['s-b1']


def test_logout_with_site_list(sample):
    body = {'action': 'logout', 'domain': 'master.domain', 'user': 'alice', 'sites': ['east']}
    assert sample.logout(body).status_code == 200
    alice = ids(entry for entry in sample.sessions('all') if entry['user_id'] == 'u-alice')
    assert alice == [('s-a1', 'http'), ('s-a1', 'websocket')]


def test_logout_spares_callers_own_session(sample):
    body = {'action': 'logout', 'domain': 'master.domain', 'user': 'admin', 'sites': 'all'}
    assert sample.logout(body).status_code == 200
    admin = ids(entry for entry in sample.sessions('all') if entry['login'] == 'admin')
    assert admin == ADMIN_OWN


def test_logout_unknown_user_is_200_and_closes_nothing(sample):
    response = sample.logout({'action': 'logout', 'domain': 'master.domain', 'user': 'nobody', 'sites': 'all'})
    assert response.json() == {'status': 'logged out all sessions but current'}
    response = sample.logout({'action': 'logout', 'domain': 'no.domain', 'user': 'alice', 'sites': 'all'})
    assert response.status_code == 200
    assert len(sample.sessions('all')) == 9


@pytest.mark.parametrize('body', [
    b'not json', b'', '["logout"]',
    {'domain': 'master.domain', 'user': 'alice'},
    {'action': 'login', 'domain': 'master.domain', 'user': 'alice'},
    {'action': 'logout', 'user': 'alice'},
    {'action': 'logout', 'domain': 'master.domain'},
    {'action': 'logout', 'domain': 'master.domain', 'user': 7},
    {'action': 'logout', 'domain': '', 'user': 'alice'},
    {'action': 'logout', 'domain': 'master.domain', 'user': 'alice', 'sites': 'bogus'},
    {'action': 'logout', 'domain': 'master.domain', 'user': 'alice', 'sites': []},
    {'action': 'logout', 'domain': 'master.domain', 'user': 'alice', 'sites': None},
    {'action': 'logout', 'domain': 'master.domain', 'user': 'alice', 'sites': '["east"]'},
])
def test_logout_bad_requests_400(sample, body):
    _error(sample.logout(body), 400)
    assert len(sample.sessions('all')) == 9


# auth, paths, methods

def test_auth_required_and_secret_never_echoed(start_emulator):
    emulator = start_emulator('--token', 'secret-token-1234', '--password', 'secret-pass-5678')
    for headers in ({}, {'Authorization': 'Bearer wrong-token-9876'}, {'Authorization': 'Bearer '},
                    {'Authorization': 'Digest abc'}, {'Authorization': 'Basic !!!'}):
        response = requests.get(emulator.vendor, headers=headers, timeout=10)
        message = _error(response, 401)
        assert 'Bearer' in response.headers['WWW-Authenticate']
        assert 'wrong-token' not in message and 'secret' not in message
    assert requests.get(emulator.vendor, auth=('admin', 'wrong-pass'), timeout=10).status_code == 401
    response = requests.post(emulator.vendor, json={'action': 'logout'}, headers={'Authorization': 'Bearer secret-token-1234x'}, timeout=10)
    assert response.status_code == 401
    assert requests.get(emulator.vendor, headers={'Authorization': 'Bearer secret-token-1234'}, timeout=10).status_code == 200
    assert requests.get(emulator.vendor, auth=('admin', 'secret-pass-5678'), timeout=10).status_code == 200
    state = requests.get(emulator.url + '/_emulator/state', timeout=10).text
    for secret in ('secret-token-1234', 'wrong-token-9876', 'secret-pass-5678', 'wrong-pass',
                   base64.b64encode(b'admin:secret-pass-5678').decode()):
        assert secret not in state
    assert len(requests.get(emulator.url + '/_emulator/state', timeout=10).json()['requests']) == 9
    assert emulator.read_stderr() == ''


def test_basic_auth_default_credentials(sample):
    response = requests.get(sample.vendor, auth=('admin', 'admin-password'), timeout=10)
    assert response.status_code == 200
    body = {'action': 'logout', 'domain': 'master.domain', 'user': 'admin', 'sites': 'all'}
    assert requests.post(sample.vendor, json=body, auth=('admin', 'admin-password'), timeout=10).status_code == 200
    assert ids(entry for entry in sample.sessions('all') if entry['login'] == 'admin') == ADMIN_OWN


def test_fixture_credentials_map_to_identities(sample):
    fixture = {
        'current_site': 'central',
        'credentials': {
            'tokens': {'tok-a': {'login': 'alice', 'user_id': 'u-alice', 'domain': 'master.domain', 'session_id': 's-a1'}},
            'basic': {'bob': {'password': 'pw', 'login': 'bob', 'user_id': 'u-bob', 'domain': 'master.domain', 'session_id': 's-b1'}},
        },
        'sessions': [
            {'session_id': 's-a1', 'login': 'alice', 'user_id': 'u-alice', 'site': 'central', 'session_type': 'http', 'domain': 'master.domain'},
            {'session_id': 's-a9', 'login': 'alice', 'user_id': 'u-alice', 'site': 'central', 'session_type': 'http', 'domain': 'master.domain'},
        ],
    }
    sample.load(fixture)
    assert sample.get().status_code == 401
    body = {'action': 'logout', 'domain': 'master.domain', 'user': 'alice'}
    assert requests.post(sample.vendor, json=body, headers={'Authorization': 'Bearer tok-a'}, timeout=10).status_code == 200
    remaining = requests.get(sample.vendor, auth=('bob', 'pw'), timeout=10).json()
    assert [entry['session_id'] for entry in remaining] == ['s-a1']


def test_unknown_paths_and_methods(sample):
    _error(sample.http.get(sample.url + '/rest/v1/master/other', timeout=10), 404)
    _error(sample.http.get(sample.url + '/', timeout=10), 404)
    response = sample.http.put(sample.vendor, json={}, timeout=10)
    _error(response, 405)
    assert response.headers['Allow'] == 'GET, POST'
    _error(sample.http.delete(sample.vendor, timeout=10), 405)
    response = sample.http.get(sample.vendor + '/s-a1', timeout=10)
    _error(response, 405)
    assert response.headers['Allow'] == 'DELETE'
    counters = sample.state()['counters']
    assert counters['total'] == 3 and counters['PUT'] == 1 and counters['by_status'] == {'405': 3}


def test_keep_alive_and_content_length(sample):
    host, port = urllib.parse.urlsplit(sample.url).netloc.rsplit(':', 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {'Authorization': 'Bearer emulator-token'}
    try:
        connection.request('GET', '/rest/v1/master/logicalroles/ws/sessions', headers=headers)
        first = connection.getresponse()
        body = first.read()
        assert first.version == 11 and int(first.getheader('Content-Length')) == len(body)
        sock = connection.sock
        connection.request('DELETE', '/rest/v1/master/logicalroles/ws/sessions/s-a1', headers=headers)
        second = connection.getresponse()
        assert second.status == 204 and second.read() == b''
        connection.request('DELETE', '/rest/v1/master/logicalroles/ws/sessions/s-a1', headers=headers)
        third = connection.getresponse()
        assert third.status == 404 and int(third.getheader('Content-Length')) == len(third.read())
        assert connection.sock is sock
    finally:
        connection.close()
