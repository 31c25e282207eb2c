# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
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
    server.add(json_body=[ENTRY])
    assert client_for(server).list_sessions(sites) == [ENTRY]
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
    ('a b?c#d%', 'a%20b%3Fc%23d%25'),
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
