# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Process-level behaviour: seeded data, concurrency, large answers, TLS, command line."""

import collections
import concurrent.futures
import functools
import re
import shutil
import signal
import subprocess
import threading
import time
import types

import pytest
import requests

from emulator_testlib import VENDOR_PATH
from incoplax_emulator import server as server_module
from incoplax_emulator.emulator import Emulator, StartupConfig
from incoplax_emulator.server import make_server
from incoplax_emulator.store import seeded_dataset

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


def test_32_concurrent_requests_with_latency(emulator):
    # Each request sleeps 1 s in the emulator, far longer than sending 32 requests takes, so the emulator
    # holds all 32 at once if (and only if) it serves connections concurrently: max_in_flight shows it.
    emulator.faults({'latency_ms': 1000})
    ready = threading.Barrier(32)

    def one(_index):
        with requests.Session() as session:
            session.headers['Authorization'] = 'Bearer emulator-token'
            ready.wait(30)
            started = time.monotonic()
            response = session.get(emulator.vendor, timeout=60)
            return response.status_code, time.monotonic() - started

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = list(pool.map(one, range(32)))
    assert all(status == 200 for status, _took in results)
    assert all(took >= 1.0 for _status, took in results)
    counters = emulator.wait_in_flight(0)
    assert counters['GET'] == 32 and counters['by_status'] == {'200': 32}
    assert counters['max_in_flight'] >= 32, counters
    # Injected sleeps are not busy time, but serving is.
    assert counters['busy_seconds'] > 0


def test_large_answer_served_complete(start_emulator):
    emulator = start_emulator('--users', '25000', '--sessions-per-user', '4', '--sites', 'central')
    response = emulator.get()
    assert response.status_code == 200
    assert int(response.headers['Content-Length']) == len(response.content)
    entries = response.json()
    # 25000 * 4 user sessions + 2 admin sessions (http), and every third user session plus admin's own as websocket.
    assert len(entries) == 25000 * 4 + 2 + 25000 * 4 // 3 + 1 == emulator.state(sessions=False)['session_count']
    assert len({(entry['session_id'], entry['session_type']) for entry in entries}) == len(entries)
    assert all(entry['site'] == 'central' and entry['ttl'] > 0 for entry in entries)


def test_busy_seconds_exclude_injected_sleep(monkeypatch):
    """In-process, with a fake clock that only the injected sleep advances (by an hour each time)."""
    clock = [0.0]

    def fake_sleep(seconds):
        clock[0] += seconds

    monkeypatch.setattr(server_module, 'time', types.SimpleNamespace(perf_counter=lambda: clock[0], sleep=fake_sleep))
    config = StartupConfig(make_dataset=functools.partial(seeded_dataset, users=2, sites=['central']))
    server = make_server(Emulator(config, clock=time.monotonic), port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    try:
        url = server.url
        requests.post(url + '/_emulator/faults', json={'latency_ms': 1800000, 'hang_ms': 1800000}, timeout=10)
        with requests.Session() as session:
            session.headers['Authorization'] = 'Bearer emulator-token'
            assert session.get(url + VENDOR_PATH, timeout=10).status_code == 200
            assert session.delete(url + VENDOR_PATH + '/nothing', timeout=10).status_code == 404
        assert clock[0] == 2 * 3600.0
        deadline = time.monotonic() + 30
        while True:
            counters = requests.get(url + '/_emulator/state?sessions=false', timeout=10).json()['counters']
            if counters['in_flight'] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert counters['total'] == 2 and counters['in_flight'] == 0 and counters['max_in_flight'] >= 1
        assert counters['busy_seconds'] == 0.0, counters
    finally:
        server.shutdown()
        server.server_close()
        thread.join(30)


def test_quiet_by_default_and_verbose(start_emulator):
    quiet = start_emulator()
    verbose = start_emulator('--verbose')
    for emulator in (quiet, verbose):
        emulator.get()
        emulator.delete('nothing')
    assert quiet.read_stderr() == ''
    log = verbose.read_stderr()
    assert 'GET /rest/v1/master/logicalroles/ws/sessions' in log and 'emulator-token' not in log


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT], ids=['SIGTERM', 'SIGINT'])
def test_port_file_and_signal_exit_0(start_emulator, tmp_path, signum):
    port_file = tmp_path / 'port'
    emulator = start_emulator('--port-file', port_file)
    assert emulator.url.endswith(':%s' % port_file.read_text().strip())
    # An idle keep-alive connection (emulator.http) and a request sleeping in hang_ms must not hold the exit.
    assert emulator.get().status_code == 200
    emulator.faults({'hang_ms': 600000})
    hung = threading.Thread(target=_ignore_errors, args=(emulator.get,), kwargs={'timeout': 600}, daemon=True)
    hung.start()
    emulator.wait_in_flight(1)
    # Exit code 0 (not -9): it exited by itself, within the generous STOP_TIMEOUT, before stop() would kill it.
    assert emulator.stop(signum) == 0
    assert emulator.read_stderr() == ''


def _ignore_errors(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except requests.RequestException:
        pass


def test_bad_options_exit_2(start_emulator):
    with pytest.raises(RuntimeError):
        start_emulator('--current-site', 'nowhere')
    with pytest.raises(RuntimeError):
        start_emulator('--fixture', '/nonexistent/fixture.json')


def test_tls(start_emulator, tmp_path):
    openssl = shutil.which('openssl')
    if openssl is None:
        print('openssl CLI not found: cannot make a self-signed certificate')
        pytest.fail('the openssl command is needed to make the test certificate')
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
