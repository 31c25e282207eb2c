# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import threading
import time

import pytest

from ansible_collections.incoplax.platform.plugins.module_utils import _api
from ansible_collections.incoplax.platform.plugins.module_utils._api import (
    SESSIONS_PATH,
    IncoplaxApiError,
    IncoplaxClient,
    encode_sites,
    session_path,
)

ENTRY = {'session_id': 'a1', 'login': 'alice', 'site': 'central', 'session_type': 'http'}


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    # Keep retry tests quick; the policy under test is which statuses retry, not the wait lengths.
    monkeypatch.setattr(_api, 'BACKOFF_FACTOR', 0.01)


def client_for(server, **kwargs):
    kwargs.setdefault('token', 's3cr3t-token')
    kwargs.setdefault('retries', 0)
    kwargs.setdefault('timeout', 5)
    return IncoplaxClient(server.url, **kwargs)


@pytest.mark.parametrize('sites, query', [
    (None, ''),
    ('all', '?sites=%22all%22'),
    ('current', '?sites=%22current%22'),
    (['SITE1'], '?sites=%5B%22SITE1%22%5D'),
    (['a b', 'c'], '?sites=%5B%22a%20b%22%2C%22c%22%5D'),
])
def test_list_sends_sites_as_url_encoded_json_in_query(server, sites, query):
    # An entry on a site of the scope, or the listing would be refused as outside it.
    entry = dict(ENTRY, site=sites[0]) if isinstance(sites, list) else ENTRY
    server.add(json_body=[entry])
    assert client_for(server).list_sessions(sites) == [entry]
    assert server.requests[0]['method'] == 'GET'
    assert server.requests[0]['path'] == SESSIONS_PATH + query


def test_bearer_token_header(server):
    client_for(server).list_sessions()
    assert server.requests[0]['headers']['Authorization'] == 'Bearer s3cr3t-token'


def test_basic_auth_header(server):
    client_for(server, token=None, username='admin', password='pw').list_sessions()
    expected = 'Basic ' + base64.b64encode(b'admin:pw').decode()
    assert server.requests[0]['headers']['Authorization'] == expected


def test_logout_posts_json_body_with_sites(server):
    server.add(json_body={'status': 'logged out all sessions but current'})
    client_for(server).logout_user('master.domain', 'alice', ['east'])
    request = server.requests[0]
    assert request['method'] == 'POST' and request['path'] == SESSIONS_PATH
    assert request['headers']['Content-Type'].startswith('application/json')
    assert json.loads(request['body']) == {'action': 'logout', 'domain': 'master.domain', 'user': 'alice',
                                           'sites': ['east']}


def test_logout_without_sites_omits_the_field(server):
    client_for(server).logout_user('d', 'u')
    assert 'sites' not in json.loads(server.requests[0]['body'])


@pytest.mark.parametrize('session_id, segment', [
    ('51e6cad2-0176', '51e6cad2-0176'),
    ('a/b', 'a%2Fb'),
    ('a?c#d%', 'a%3Fc%23d%25'),
    ('é', '%C3%A9'),
])
def test_delete_quotes_the_id_as_one_segment(server, session_id, segment):
    server.add(status=204)
    assert client_for(server).close_session(session_id, 'all') is True
    assert server.requests[0]['method'] == 'DELETE'
    assert server.requests[0]['path'] == SESSIONS_PATH + '/' + segment + '?sites=%22all%22'
    assert session_path(session_id) == SESSIONS_PATH + '/' + segment


def test_delete_404_means_already_gone(server):
    server.add(status=404, json_body={'error': 'session not found'})
    assert client_for(server).close_session('gone') is False


def test_http_error_carries_method_path_status_and_api_message(server):
    server.add(status=400, json_body={'error': 'bad sites value'})
    with pytest.raises(IncoplaxApiError) as info:
        client_for(server).list_sessions('all')
    error = info.value
    assert (error.method, error.status) == ('GET', 400)
    assert error.path == SESSIONS_PATH + '?sites=%22all%22'
    assert 'bad sites value' in str(error) and 'HTTP 400' in str(error)


def test_error_excerpt_strips_html_and_never_echoes_the_token(server):
    server.add(status=500, body=b'<html><body><h1>Oops</h1> token s3cr3t-token leaked</body></html>',
               headers={'Content-Type': 'text/html'})
    with pytest.raises(IncoplaxApiError) as info:
        client_for(server).list_sessions()
    text = str(info.value)
    assert 'Oops' in text and '<h1>' not in text
    assert 's3cr3t-token' not in text and 's3cr3t-token' not in json.dumps(info.value.to_dict())


def test_401_hint_names_the_credentials(server):
    server.add(status=401, json_body={'error': 'unauthorized'})
    with pytest.raises(IncoplaxApiError, match='check the token'):
        client_for(server).list_sessions()


@pytest.mark.parametrize('status', [429, 502, 503, 504])
def test_retryable_statuses_are_retried(server, status):
    server.add(status=status, body=b'busy')
    server.add(json_body=[ENTRY])
    assert client_for(server, retries=2).list_sessions() == [ENTRY]
    assert len(server.requests) == 2


def test_post_and_delete_are_retried_too(server):
    server.add(status=503)
    server.add(status=204)
    assert client_for(server, retries=1).close_session('x') is True
    assert [r['method'] for r in server.requests] == ['DELETE', 'DELETE']


def test_retries_exhausted_reports_the_last_status(server):
    server.default = (503, {}, b'<html>503 Service Unavailable</html>')
    with pytest.raises(IncoplaxApiError) as info:
        client_for(server, retries=2).list_sessions()
    assert info.value.status == 503
    assert len(server.requests) == 3


@pytest.mark.parametrize('status', [400, 401, 403, 404, 500])
def test_other_statuses_are_not_retried(server, status):
    server.default = (status, {}, b'')
    with pytest.raises(IncoplaxApiError):
        client_for(server, retries=3).list_sessions()
    assert len(server.requests) == 1


def test_retry_after_is_honoured(server):
    server.add(status=429, headers={'Retry-After': '1'})
    server.add(json_body=[])
    started = time.monotonic()
    client_for(server, retries=1).list_sessions()
    # A lower bound only: the client must have waited for the server's Retry-After.
    assert time.monotonic() - started >= 0.9


def test_retry_after_is_capped(server, monkeypatch):
    monkeypatch.setattr(_api, 'MAX_RETRY_AFTER', 0)
    server.add(status=429, headers={'Retry-After': '3600'})
    server.add(json_body=[])
    assert client_for(server, retries=1).list_sessions() == []


def test_redirect_is_not_followed_and_credentials_stay(server):
    server.add(status=302, headers={'Location': 'http://user:pw@evil.example/steal'})
    with pytest.raises(IncoplaxApiError) as info:
        client_for(server).list_sessions()
    assert 'redirect to http://evil.example/steal not followed' in str(info.value)
    assert 'pw@' not in str(info.value)
    assert len(server.requests) == 1


def test_unreachable_url_is_a_clear_error():
    client = IncoplaxClient('http://127.0.0.1:9', token='tok-unreachable', retries=0, timeout=2)
    with pytest.raises(IncoplaxApiError) as info:
        client.list_sessions()
    assert info.value.status is None
    assert 'cannot reach http://127.0.0.1:9' in str(info.value)
    assert 'GET ' + SESSIONS_PATH in str(info.value)


def test_userinfo_in_url_is_not_kept(server):
    client = IncoplaxClient(server.url.replace('http://', 'http://u:p@'), token='t', retries=0)
    assert client.base_url == server.url


@pytest.mark.parametrize('body, reason', [
    (b'<html>gateway</html>', 'not JSON'),
    (b'', 'not JSON'),
    (b'{"sessions": []}', 'JSON dict'),
    (b'[{"login": "x"}]', 'entry 0'),
    (b'["a1"]', 'entry 0'),
])
def test_unusable_answers_are_clear_errors(server, body, reason):
    server.add(body=body)
    with pytest.raises(IncoplaxApiError, match=reason):
        client_for(server).list_sessions()


def test_encode_sites_is_compact_json():
    assert encode_sites('all') == '"all"'
    assert encode_sites(['a', 'b']) == '["a","b"]'


# ---------------------------------------------------------------------------------------------------- error texts

@pytest.mark.parametrize('body, shown, hidden', [
    ({'error': 'Bad Request', 'message': 'sites must be JSON'}, 'Bad Request: sites must be JSON', None),
    ({'error': 'not found', 'message': 'session not found'}, 'session not found', 'not found:'),
    ({'error': 'session not found', 'message': 'not found'}, 'session not found', 'not found:'),
    ({'message': 'only a message'}, 'only a message', None),
    ({'error': {'code': 400, 'message': 'nested message'}}, 'nested message', None),
    ({'status': 'error'}, 'error', None),
    ({'detail': 'a detail', 'status': 'error'}, 'a detail', 'error'),
])
def test_the_excerpt_shows_the_more_specific_message(server, body, shown, hidden):
    server.add(status=400, json_body=body)
    with pytest.raises(IncoplaxApiError) as info:
        client_for(server).list_sessions()
    assert info.value.excerpt == shown
    assert hidden is None or hidden not in info.value.excerpt


def answer_with_reason(server, reason):
    """Make the scripted server send ``reason`` (text written as latin-1 bytes) as the HTTP reason phrase."""
    handler = server.httpd.RequestHandlerClass
    original = handler.send_response

    def send_response(self, code, message=None):
        original(self, code, reason)

    handler.send_response = send_response


@pytest.mark.parametrize('password', ['pw-S3cr3t', 'pässwörd-€', 'a/b"c'])
def test_the_reason_phrase_is_redacted_in_every_reading(server, password):
    # http.client reads the status line as latin-1: the UTF-8 bytes of the password arrive as mojibake.
    answer_with_reason(server, 'Denied %s' % password.encode('utf-8').decode('latin-1'))
    server.add(status=401, json_body={'error': 'no'})
    with pytest.raises(IncoplaxApiError) as info:
        client_for(server, token=None, username='admin', password=password).list_sessions()
    text = str(info.value) + json.dumps(info.value.to_dict(), ensure_ascii=False)
    assert 'Denied ********' in info.value.reason
    assert password not in text and password.encode('utf-8').decode('latin-1') not in text


def test_a_text_body_without_charset_is_read_as_utf8_and_redacted(server):
    password = 'pässwörd-€'
    server.add(status=500, body=('credential %s refused' % password).encode('utf-8'), headers={'Content-Type': 'text/plain'})
    with pytest.raises(IncoplaxApiError) as info:
        client_for(server, token=None, username='admin', password=password).list_sessions()
    assert info.value.excerpt == 'credential ******** refused'


def test_a_latin1_body_is_redacted_before_decoding(server):
    password = 'pässwörd'
    server.add(status=500, body=('credential %s refused' % password).encode('latin-1'),
               headers={'Content-Type': 'text/plain; charset=utf-8'})
    with pytest.raises(IncoplaxApiError) as info:
        client_for(server, token=None, username='admin', password=password).list_sessions()
    assert info.value.excerpt == 'credential ******** refused'


@pytest.mark.parametrize('token', ['tok-newline\n', 'tok\r\nX-Injected: 1', 'tök-€uro'])
def test_a_token_that_cannot_be_a_header_is_an_error_without_the_token(server, token):
    """Even without the module's parameter checks, requests' own refusal never shows the token."""
    with pytest.raises(IncoplaxApiError) as info:
        client_for(server, token=token).list_sessions()
    text = str(info.value)
    assert 'request not sent' in text or 'cannot reach' in text, text
    for part in (token, token.strip(), 'tok-newline', 'ök-€uro'):
        assert part not in text, text
    assert server.requests == [] or 'X-Injected' not in server.requests[0]['headers']


# ---------------------------------------------------------------------------------------------------- lost connections

@pytest.fixture
def resetting(resetting_server):
    """A loopback server that reads each whole request, then drops the connection without an answer (an RST)."""
    return resetting_server()


@pytest.mark.parametrize('call, method', [
    (lambda client: client.logout_user('master.domain', 'alice', 'all'), 'POST'),
    (lambda client: client.close_session('s-1', 'all'), 'DELETE'),
])
@pytest.mark.parametrize('retries', [0, 1])
def test_a_change_lost_after_sending_may_have_been_delivered(resetting, call, method, retries):
    client = IncoplaxClient(resetting.url, token='tok-lost', retries=retries, timeout=5)
    with pytest.raises(IncoplaxApiError) as info:
        call(client)
    assert 'connection lost after the request was sent: it may have been delivered' in str(info.value)
    assert 'cannot reach' not in str(info.value)
    assert resetting.requests == [method] * (retries + 1)


def test_a_listing_lost_after_sending_still_says_cannot_reach(resetting):
    with pytest.raises(IncoplaxApiError) as info:
        IncoplaxClient(resetting.url, token='tok-lost', retries=0, timeout=5).list_sessions()
    assert 'cannot reach %s' % resetting.url in str(info.value)


@pytest.mark.parametrize('call', [
    lambda client: client.logout_user('master.domain', 'alice'),
    lambda client: client.close_session('s-1'),
])
def test_a_change_that_could_not_connect_says_cannot_reach(closed_port, call):
    client = IncoplaxClient('http://127.0.0.1:%d' % closed_port, token='tok-closed', retries=0, timeout=5)
    with pytest.raises(IncoplaxApiError) as info:
        call(client)
    assert 'cannot reach http://127.0.0.1:%d' % closed_port in str(info.value)
    assert 'may have been delivered' not in str(info.value)


# ---------------------------------------------------------------------------------------------------- retry budget

def test_a_wait_larger_than_the_budget_is_not_started(server):
    server.default = (429, {'Retry-After': '3600'}, b'{"error": "slow down"}')
    client = client_for(server, retries=3, retry_budget=5)
    with pytest.raises(IncoplaxApiError) as info:
        client.list_sessions()
    error = info.value
    assert len(server.requests) == 1
    assert error.status == 429 and error.excerpt == 'slow down'
    assert 'the retry budget of 5 s is spent' in error.reason and 'Retry-After: 3600' in error.reason
    assert 'capped at 60 s' in error.reason
    assert client.budget.exhausted and client.budget.spent == 0


def test_after_the_budget_is_spent_each_request_gets_one_attempt(server):
    server.add(status=429, headers={'Retry-After': '3600'})
    server.default = (503, {}, b'busy')
    client = client_for(server, retries=3, retry_budget=0)
    with pytest.raises(IncoplaxApiError, match='retry budget of 0 s is spent'):
        client.list_sessions()
    # A 503 would be retried at once (no wait) with a fresh budget; with a spent one it is not retried at all.
    for call in (client.list_sessions, lambda: client.close_session('s-1'), lambda: client.logout_user('d', 'u')):
        del server.requests[:]
        with pytest.raises(IncoplaxApiError) as info:
            call()
        assert info.value.status == 503 and 'retry budget of 0 s is spent' in info.value.reason
        assert len(server.requests) == 1


def test_waits_within_the_budget_happen_then_the_next_is_refused(server):
    server.default = (429, {'Retry-After': '1'}, b'')
    client = client_for(server, retries=5, retry_budget=1)
    with pytest.raises(IncoplaxApiError) as info:
        client.list_sessions()
    # First try, one wait of 1 s (the whole budget), second try, then the next wait does not fit.
    assert len(server.requests) == 2
    assert client.budget.spent == 1 and 'the retry budget of 1 s is spent (1 s waited' in info.value.reason


def test_a_retry_without_wait_needs_no_budget(server):
    server.add(status=503)
    server.add(json_body=[])
    client = client_for(server, retries=3, retry_budget=0)
    assert client.list_sessions() == []
    assert len(server.requests) == 2 and not client.budget.exhausted


def test_one_budget_is_shared_by_concurrent_requests(server):
    server.default = (429, {'Retry-After': '1'}, b'')
    client = client_for(server, retries=1, retry_budget=2, pool_size=6)
    errors = []

    def call():
        try:
            client.close_session('s')
        except IncoplaxApiError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for dummy in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 6
    # Exactly two of the six could wait their second second; the other four stopped after one try.
    assert client.budget.spent == 2 and len(server.requests) == 6 + 2
    assert sum('retry budget of 2 s is spent' in (error.reason or '') for error in errors) == 4


def test_a_refused_connection_retry_names_the_budget(closed_port):
    client = IncoplaxClient('http://127.0.0.1:%d' % closed_port, token='tok-budget', retries=3, timeout=5, retry_budget=0)
    with pytest.raises(IncoplaxApiError) as info:
        client.list_sessions()
    assert 'cannot reach' in str(info.value) and 'retry budget of 0 s is spent' in str(info.value)


def test_an_unreadable_retry_after_falls_back_to_the_backoff(server):
    server.add(status=429, headers={'Retry-After': 'soon, maybe'})
    server.add(json_body=[])
    assert client_for(server, retries=1).list_sessions() == []
    assert len(server.requests) == 2


def test_a_netrc_entry_never_replaces_the_token(server, tmp_path, monkeypatch):
    """requests reads .netrc for a session without auth (a token client) and its basic auth overwrote the header."""
    netrc = tmp_path / '.netrc'
    netrc.write_text('machine 127.0.0.1 login eve password evil\nmachine localhost login eve password evil\n')
    netrc.chmod(0o600)
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.setenv('NETRC', str(netrc))
    server.add(json_body=[])
    client_for(server).list_sessions('all')
    assert server.requests[0]['headers']['Authorization'] == 'Bearer s3cr3t-token'


def test_the_proxy_of_the_environment_is_used(server, monkeypatch):
    """Read once per client, the proxy settings still apply: here the scripted server is the proxy."""
    for name in ('NO_PROXY', 'no_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HTTP_PROXY', server.url)
    monkeypatch.setenv('http_proxy', server.url)
    server.add(json_body=[])
    server.add(json_body=[])
    client = _api.IncoplaxClient('http://platform.invalid:8443', token='tok-123', retries=0)
    client.list_sessions('all')
    monkeypatch.setenv('NO_PROXY', 'platform.invalid')
    monkeypatch.setenv('no_proxy', 'platform.invalid')
    client.list_sessions('all')   # the same client: settings read when it was made
    assert [request['path'].split('?')[0] for request in server.requests] == [
        'http://platform.invalid:8443' + _api.SESSIONS_PATH] * 2
