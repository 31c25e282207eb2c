# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests of input safety: the ``sites`` encoding, session ids in DELETE paths, secret scrubbing.

Every accepted ``sites`` value reaches the API as exactly the JSON it expects (query string and POST body);
anything else is a ParameterError naming the option. Only a well-formed session id reaches a DELETE path,
as one quoted segment, whatever separators, encoded separators, dot segments, whitespace, length or
non-ASCII it holds. An error excerpt never repeats a credential.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
import requests

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ansible_collections.incoplax.platform.plugins.module_utils import _api
from ansible_collections.incoplax.platform.plugins.module_utils._api import SESSIONS_PATH, IncoplaxApiError, IncoplaxClient, encode_sites, session_path
from ansible_collections.incoplax.platform.plugins.module_utils._args import ParameterError, normalize_sites
from ansible_collections.incoplax.platform.plugins.module_utils._request import read_request, refuse_bad_session_ids
from ansible_collections.incoplax.platform.plugins.module_utils._sessions import MAX_SESSION_ID_LENGTH, session_id_problem
from ansible_collections.incoplax.platform.plugins.module_utils._redact import Redactor

KEYWORDS = ('all', 'current')
UNRESERVED = set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~')
HEX = set('0123456789ABCDEF')
FAST = settings(max_examples=300, deadline=None)
# Examples that go over real HTTP to the scripted server fixture (reused across examples: it only records).
OVER_HTTP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

any_text = st.text(alphabet=st.characters(blacklist_categories=('Cs',)), max_size=40)
tricky_text = st.text(alphabet=st.sampled_from(list('/\\%2FfEe.?#&=+;:@ \t\n\r\x00\x7f\u00a0\u2028aZ0-_~"\'<>[]{}é中')), max_size=24)


def clean_name(value):
    return value != '' and value.strip() == value and value.isprintable()


site_name = st.one_of(any_text, tricky_text).filter(lambda value: clean_name(value) and value not in KEYWORDS)


# ---------------------------------------------------------------------------------------------------- sites

def api_expects(value):
    """The vendor's sites forms: the JSON string "all" or "current", or a non-empty list of non-empty site names."""
    if isinstance(value, str):
        return value in KEYWORDS
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) and item for item in value)


def expected_sites(value):
    """Oracle: keywords stay strings, one name becomes a one-element list, a list is deduplicated in order."""
    if isinstance(value, str):
        return value if value in KEYWORDS else [value]
    seen = []
    for item in value:
        if item not in seen:
            seen.append(item)
    return seen


accepted_sites = st.one_of(
    st.sampled_from(KEYWORDS),
    site_name,
    st.lists(site_name, min_size=1, max_size=6),
    st.lists(site_name, min_size=1, max_size=6).map(tuple),
    st.lists(st.sampled_from(['central', 'east', 'West 2']), min_size=1, max_size=6),
)


@FAST
@given(accepted_sites)
@example('all')
@example(['a b', 'c"d', 'e%2Ff', 'g/h', '中'])
def test_accepted_sites_round_trip_to_what_the_api_expects(value):
    normalized = normalize_sites(value)
    assert normalized == expected_sites(value)
    assert api_expects(normalized)
    text = encode_sites(normalized)
    assert json.loads(text) == normalized
    # The query string: URL-encoded JSON, decoded once by the server into exactly the same value.
    query = 'sites=' + quote(text, safe='')
    assert parse_qs(query, keep_blank_values=True) == {'sites': [text]}
    assert json.loads(parse_qs(query)['sites'][0]) == normalized
    # Normalising twice changes nothing (a value from a previous result can be passed back).
    assert normalize_sites(normalized) == normalized


@OVER_HTTP
@given(accepted_sites)
def test_accepted_sites_travel_exactly_in_query_and_body(server, value):
    normalized = normalize_sites(value)
    del server.requests[:]
    server.responses[:] = []
    server.add(json_body=[])
    server.add(json_body={'status': 'logged out all sessions but current'})
    server.add(status=204)
    client = IncoplaxClient(server.url, token='t', retries=0, timeout=5)
    client.list_sessions(normalized)
    client.logout_user('master.domain', 'alice', normalized)
    client.close_session('s-1', normalized)
    get, post, delete = server.requests
    for request in (get, delete):
        path, _sep, query = request['path'].partition('?')
        assert parse_qs(query, keep_blank_values=True).keys() == {'sites'}
        assert json.loads(parse_qs(query)['sites'][0]) == normalized
    assert get['path'].partition('?')[0] == SESSIONS_PATH
    assert json.loads(post['body'])['sites'] == normalized


rejected_strings = st.one_of(
    st.just(''),
    st.text(alphabet=st.sampled_from(' \t\n\r\x0b\x0c\u00a0\u2003'), min_size=1, max_size=4),
    st.builds(lambda pad, name: pad + name, st.sampled_from([' ', '\t', '\n']), site_name),
    st.builds(lambda name, pad: name + pad, site_name, st.sampled_from([' ', '\t', '\n'])),
    st.builds(lambda a, bad, b: a + bad + b, site_name, st.sampled_from(['\x00', '\n', '\r', '\x1b', '\x7f', '\u2028', '\u200b']), site_name),
)
rejected_sites = st.one_of(
    rejected_strings,
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.binary(max_size=5),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    st.sets(site_name, max_size=2),
    st.just([]),
    st.just(()),
    st.lists(st.one_of(st.integers(), st.none(), st.booleans(), st.lists(site_name, max_size=1)), min_size=1, max_size=3),
    st.builds(lambda names, bad, at: names[:at] + [bad] + names[at:],
              st.lists(site_name, max_size=3), st.one_of(rejected_strings, st.sampled_from(KEYWORDS)), st.integers(0, 3)),
)


@FAST
@given(rejected_sites, st.sampled_from(['sites', 'forced_logout_sites']))
@example(' all', 'sites')
@example(['all'], 'sites')
@example([''], 'sites')
@example(5, 'sites')
def test_anything_else_is_refused_naming_the_option(value, name):
    with pytest.raises(ParameterError) as info:
        normalize_sites(value, name=name)
    assert str(info.value).startswith(name + ': ')


def test_omitted_sites_stays_omitted():
    assert normalize_sites(None) is None


# ---------------------------------------------------------------------------------------------------- session ids

def well_formed(session_id):
    """Oracle for ids that may be sent: not empty, '.' or '..', at most the limit, no whitespace or control character."""
    return (session_id not in ('', '.', '..') and len(session_id) <= MAX_SESSION_ID_LENGTH
            and not any(ch.isspace() or not ch.isprintable() for ch in session_id))


separators = st.sampled_from(['/', '%2F', '%2f', '%2E', '%2e%2E', '.', '..', '../', '/..', './', '\\', '%5C', '?', '#', '%', '%25',
                              '%00', ';', '@', ' ', '\t', '\n', '\u00a0', '\u2028', '\u200b', 'é', '中', '%C3%A9'])
uuid_like = st.uuids().map(str)
session_ids = st.one_of(
    any_text,
    tricky_text,
    st.builds(lambda a, sep, b: a + sep + b, st.one_of(uuid_like, st.just('')), separators, st.one_of(uuid_like, st.just(''))),
    st.lists(separators, min_size=1, max_size=6).map(''.join),
    st.integers(MAX_SESSION_ID_LENGTH - 2, MAX_SESSION_ID_LENGTH + 2).flatmap(
        lambda size: st.text(alphabet=st.sampled_from('ab/%.'), min_size=size, max_size=size)),
)


def segment_of(path):
    """The part of a URL path after ``SESSIONS_PATH/``; fails if the path does not start there."""
    assert path.startswith(SESSIONS_PATH + '/'), path
    return path[len(SESSIONS_PATH) + 1:]


def assert_one_quoted_segment(segment, session_id):
    assert segment and '/' not in segment, segment
    assert unquote(segment, errors='strict') == session_id
    # Fully quoted: nothing but unreserved characters and %XX escapes, so nobody on the way re-reads it.
    index = 0
    while index < len(segment):
        if segment[index] == '%':
            assert set(segment[index + 1:index + 3]) <= HEX and len(segment[index + 1:index + 3]) == 2, segment
            index += 3
        else:
            assert segment[index] in UNRESERVED, segment
            index += 1
    assert segment not in ('.', '..')


@FAST
@given(session_ids)
@example('a/b')
@example('..')
@example('%2E%2E')
@example('../../logicalroles')
@example('a%2Fb')
@example(' a')
@example('a' * (MAX_SESSION_ID_LENGTH + 1))
@example('é/中')
def test_only_well_formed_ids_reach_a_delete_path_as_one_segment(session_id):
    problem = session_id_problem(session_id)
    if problem is not None:
        assert not well_formed(session_id), session_id
        with pytest.raises(IncoplaxApiError, match='not sent: '):
            IncoplaxClient('https://platform.example.com', token='tok-5c1e9a').close_session(session_id, 'all')
        return
    assert well_formed(session_id), session_id
    path = session_path(session_id)
    assert_one_quoted_segment(segment_of(path), session_id)
    # The URL as requests prepares it (and urllib3 parses it) keeps exactly that one segment after /sessions/.
    url = 'https://platform.example.com' + path + '?sites=' + quote(encode_sites('all'), safe='')
    prepared = requests.Request('DELETE', url).prepare()
    final = urlsplit(prepared.url)
    assert final.path == path and final.netloc == 'platform.example.com'
    assert final.path.split('/sessions/', 1)[1] == segment_of(path)
    assert len(final.path[len(SESSIONS_PATH):].split('/')) == 2
    assert parse_qs(final.query) == {'sites': ['"all"']}


@OVER_HTTP
@given(session_ids.filter(well_formed))
@example('a/b?c#d')
@example('%2E%2E')
def test_delete_reaches_the_server_as_one_segment(server, session_id):
    del server.requests[:]
    server.responses[:] = []
    server.add(status=204)
    client = IncoplaxClient(server.url, token='t', retries=0, timeout=5)
    assert client.close_session(session_id, 'all') is True
    (request,) = server.requests
    path, _sep, query = request['path'].partition('?')
    assert request['method'] == 'DELETE' and query == 'sites=%22all%22'
    assert_one_quoted_segment(segment_of(path), session_id)


def module_params(**overrides):
    params = dict(state='absent', concurrency=8, max_sessions=None, wait=True, wait_timeout=30, protected_users=[],
                  sites=None, domain=None, user=None, session_id=None, match=None)
    params.update(overrides)
    return params


@FAST
@given(st.lists(st.one_of(uuid_like, session_ids), min_size=1, max_size=5))
def test_ws_session_refuses_a_list_with_any_malformed_id_before_any_request(ids):
    # Surrounding whitespace is never part of a name: ids are trimmed, then checked.
    trimmed = [value.strip() for value in ids]
    if '' in trimmed:
        with pytest.raises(ParameterError) as info:
            read_request(module_params(session_id=ids))
        assert str(info.value).startswith('session_id: ')
        return
    session_ids = read_request(module_params(session_id=ids))['session_ids']
    assert session_ids == list(dict.fromkeys(trimmed))
    refused = refuse_bad_session_ids(session_ids)
    assert [item['target'] for item in refused] == [value for value in session_ids if not well_formed(value)]
    assert all(item['error'].startswith('not sent: ') for item in refused)


# ---------------------------------------------------------------------------------------------------- secrets in errors

secret_text = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF, blacklist_characters='*'), min_size=6, max_size=30)


def bodies(secret):
    """Error bodies that repeat ``secret`` in the ways a careless server does."""
    return [
        'denied for %s' % secret,
        '<html><body><h1>401</h1><p>bad credential %s</p></body></html>' % secret,
        json.dumps({'error': 'bad credential %s' % secret}),
        json.dumps({'message': secret}),
        json.dumps({'debug': {'credential': secret}}),
        json.dumps('credential %s' % secret),
        json.dumps({'error': 'x' * 400 + secret}),
        ('%s ' % secret) * 50,
    ]


@FAST
@given(secret_text, secret_text)
@example('s3cr3t-token', 'pw')
def test_an_error_excerpt_never_repeats_the_token_or_password(token, password):
    assume(token not in password and password not in token)
    # A secret that is a piece of the message's fixed text (path, reason) would be found there: not a leak.
    framed = IncoplaxApiError('GET', SESSIONS_PATH, 500, '********', 'Internal Server Error')
    frame = str(framed) + json.dumps(framed.to_dict())
    assume(token not in frame and password not in frame)
    for body in bodies(token) + bodies(password):
        excerpt = _api._excerpt(body, Redactor(token=token, password=password))  # pylint: disable=protected-access
        error = IncoplaxApiError('GET', SESSIONS_PATH, 500, excerpt, 'Internal Server Error')
        for secret in (token, password):
            assert secret not in (excerpt or ''), (body, secret, excerpt)
            assert secret not in str(error) and secret not in json.dumps(error.to_dict()), (body, secret)


@OVER_HTTP
@given(st.text(alphabet='abcdefghijklmnopqrstuvwxyz0123456789', min_size=1, max_size=12), secret_text)
@example('admin', 'admin-password')
def test_an_error_never_repeats_the_basic_authorization_header(server, username, password):
    """A server echoing ``Authorization: Basic <base64(user:password)>`` must not put the password, encoded, in the error."""
    credential = base64.b64encode(('%s:%s' % (username, password)).encode()).decode()
    client = IncoplaxClient(server.url, username=username, password=password, retries=0, timeout=5)
    for body in ('refused Authorization: Basic %s' % credential, json.dumps({'error': 'bad header Basic %s' % credential})):
        server.responses[:] = []
        server.add(status=500, body=body.encode())
        with pytest.raises(IncoplaxApiError) as info:
            client.list_sessions()
        assert credential not in str(info.value) and credential not in json.dumps(info.value.to_dict()), str(info.value)
