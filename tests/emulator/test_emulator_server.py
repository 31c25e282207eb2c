"""Process-level behaviour: seeded data, concurrency, large answers, TLS, command line."""

import collections
import concurrent.futures
import re
import shutil
import subprocess
import time

import pytest
import requests

UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


def _without_ttl(entries):
    return [dict(entry, ttl=None) for entry in entries]


def test_seeded_data_is_deterministic(start_emulator):
    args = ('--seed', '7', '--users', '4', '--sessions-per-user', '3')
    first, second = start_emulator(*args), start_emulator(*args)
    other = start_emulator('--seed', '8', '--users', '4', '--sessions-per-user', '3')
    assert _without_ttl(first.state()['sessions']) == _without_ttl(second.state()['sessions'])
    assert _without_ttl(first.sessions('all')) == _without_ttl(second.sessions('all'))
    assert first.state()['caller_session_id'] == second.state()['caller_session_id']
    assert {entry['session_id'] for entry in first.sessions('all')}.isdisjoint({entry['session_id'] for entry in other.sessions('all')})


def test_seeded_layout(start_emulator):
    emulator = start_emulator('--users', '6', '--sessions-per-user', '3', '--sites', 'a,b,c', '--current-site', 'b',
                              '--domain', 'x.domain', '--ttl', '500')
    state = emulator.state()
    entries = state['sessions']
    assert state['sites'] == ['a', 'b', 'c'] and state['current_site'] == 'b'
    http = [entry for entry in entries if entry['session_type'] == 'http']
    sockets = [entry for entry in entries if entry['session_type'] == 'websocket']
    by_login = collections.Counter(entry['login'] for entry in http)
    assert by_login == dict({'user%04d' % number: 3 for number in range(1, 7)}, admin=2)
    for login in by_login:
        if login != 'admin':
            assert {entry['site'] for entry in http if entry['login'] == login} == {'a', 'b', 'c'}
    assert len(sockets) == 1 + 18 // 3
    http_ids = {entry['session_id'] for entry in http}
    for entry in sockets:
        assert entry['session_id'] in http_ids and 1 <= len(entry['connections']) <= 2
    for entry in entries:
        assert entry['domain'] == 'x.domain' and 250 <= entry['ttl'] <= 500
        assert UUID.match(entry['session_id']) and UUID.match(entry['user_id'])
    admin = [entry for entry in http if entry['login'] == 'admin']
    assert admin[0]['session_id'] == state['caller_session_id'] and admin[0]['site'] == 'b'
    assert admin[1]['site'] != 'b'
    body = {'action': 'logout', 'domain': 'x.domain', 'user': 'admin', 'sites': 'all'}
    assert emulator.logout(body).status_code == 200
    assert {entry['session_id'] for entry in emulator.sessions('all') if entry['login'] == 'admin'} == {state['caller_session_id']}


def test_caller_session_id_option(start_emulator):
    emulator = start_emulator('--caller-session-id', 'my/own', '--users', '1')
    mine = [entry for entry in emulator.sessions() if entry['session_id'] == 'my/own']
    assert [entry['session_type'] for entry in mine] == ['http', 'websocket']
    assert emulator.delete('my%2Fown').status_code == 204


def test_32_concurrent_requests_with_latency(emu):
    emu.faults({'latency_ms': 100})

    def one(_index):
        with requests.Session() as session:
            session.headers['Authorization'] = 'Bearer emulator-token'
            started = time.monotonic()
            response = session.get(emu.vendor, timeout=10)
            return response.status_code, time.monotonic() - started

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = list(pool.map(one, range(32)))
    elapsed = time.monotonic() - started
    assert all(status == 200 for status, _took in results)
    assert all(took >= 0.1 for _status, took in results)
    assert elapsed < 2.0, elapsed
    assert emu.state(sessions=False)['counters']['GET'] == 32


def test_large_answer_is_fast(start_emulator):
    emulator = start_emulator('--users', '25000', '--sessions-per-user', '4', '--sites', 'central')
    emulator.get()  # warm up the connection
    started = time.monotonic()
    response = emulator.get()
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    count = len(response.json())
    print('GET of %d entries took %.3f s' % (count, elapsed))
    assert count > 100000
    assert elapsed < 1.5, elapsed


def test_quiet_by_default_and_verbose(start_emulator):
    quiet = start_emulator()
    verbose = start_emulator('--verbose')
    for emulator in (quiet, verbose):
        emulator.get()
        emulator.delete('nothing')
    assert quiet.read_stderr() == ''
    log = verbose.read_stderr()
    assert 'GET /rest/v1/master/logicalroles/ws/sessions' in log and 'emulator-token' not in log


def test_port_file_and_sigterm(start_emulator, tmp_path):
    port_file = tmp_path / 'port'
    emulator = start_emulator('--port-file', port_file)
    assert emulator.url.endswith(':%s' % port_file.read_text().strip())
    assert emulator.get().status_code == 200
    started = time.monotonic()
    assert emulator.stop() == 0
    assert time.monotonic() - started < 3


def test_bad_options_exit_2(start_emulator):
    with pytest.raises(RuntimeError):
        start_emulator('--current-site', 'nowhere')
    with pytest.raises(RuntimeError):
        start_emulator('--fixture', '/nonexistent/fixture.json')


def test_tls(start_emulator, tmp_path):
    openssl = shutil.which('openssl')
    if openssl is None:
        print('openssl CLI not found: cannot make a self-signed certificate')
        pytest.skip('openssl CLI not found: cannot make a self-signed certificate')
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run([openssl, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                    '-keyout', str(key), '-out', str(cert), '-days', '1', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1'], check=True, capture_output=True)
    emulator = start_emulator('--tls-cert', cert, '--tls-key', key)
    assert emulator.url.startswith('https://127.0.0.1:')
    emulator.verify = str(cert)
    assert emulator.get().status_code == 200
    assert emulator.delete('no-such-id').status_code == 404
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(emulator.vendor, timeout=10)
    with pytest.raises(requests.ConnectionError):
        requests.get(emulator.vendor.replace('https://', 'http://'), timeout=10)
    assert emulator.get().status_code == 200
    emulator.faults({'reset_first': 1})
    with pytest.raises(requests.ConnectionError):
        emulator.get()
    assert emulator.get().status_code == 200
