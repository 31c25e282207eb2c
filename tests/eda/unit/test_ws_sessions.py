# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the ws_sessions event source: an asyncio queue and a fake client, no network."""

from __future__ import annotations

import asyncio
import importlib.util
import os

import pytest

from hypothesis import given, settings, strategies as st

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SOURCE = os.path.join(ROOT, 'extensions', 'eda', 'plugins', 'event_source', 'ws_sessions.py')
BASE_ARGS = {'url': 'http://127.0.0.1:9', 'token': 'secret-token', 'interval': 0, 'max_backoff': 0}


@pytest.fixture(autouse=True)
def no_incoplax_environment(monkeypatch):
    """The source reads INCOPLAX_* like the modules: the shell running the tests must not leak into them."""
    for key in list(os.environ):
        if key.startswith('INCOPLAX_'):
            monkeypatch.delenv(key)


def load_source():
    spec = importlib.util.spec_from_file_location('incoplax_ws_sessions_under_test', SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ws_sessions = load_source()

from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxApiError  # noqa: E402 pylint: disable=wrong-import-position
from incoplax_testing import cast  # noqa: E402 pylint: disable=import-error,wrong-import-position


def entry(session_id, login='alice', **fields):
    """A listing entry of alice in domain d1 unless said otherwise, with a ttl of 100 s."""
    return cast.entry(session_id, login, **dict({'domain': 'd1', 'ttl': 100}, **fields))


class FakeClient:
    """Answers each list_sessions call with the next scripted listing (or raises it); the last one repeats."""

    def __init__(self, listings):
        self.listings = list(listings)
        self.calls = []
        self.closed = False

    def list_sessions(self, sites=None):
        self.calls.append(sites)
        answer = self.listings.pop(0) if len(self.listings) > 1 else self.listings[0]
        if isinstance(answer, BaseException):
            raise answer
        return [dict(item) for item in answer]

    def close(self):
        self.closed = True


async def collect(monkeypatch, listings, **args):
    """Run the source to its max_polls stop over ``listings``; the fake client, and every event put on the queue."""
    fake = FakeClient(listings)
    monkeypatch.setattr(ws_sessions, 'client_factory', lambda connection: fake)
    queue = asyncio.Queue()
    options = dict(BASE_ARGS, max_polls=len(listings))
    options.update(args)
    await ws_sessions.main(queue, options)
    events = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return fake, events


def session_events(events):
    return [event['incoplax_session'] for event in events if 'incoplax_session' in event]


def error_events(events):
    return [event['incoplax_error'] for event in events if 'incoplax_error' in event]


@pytest.mark.asyncio
async def test_baseline_emits_nothing_then_new_sessions_once(monkeypatch):
    first = [entry('s1'), entry('s1', session_type='websocket'), entry('s2', login='bob')]
    second = first + [entry('s3', login='carol')]
    fake, events = await collect(monkeypatch, [first, second, second])
    sessions = session_events(events)
    assert [item['session_id'] for item in sessions] == ['s3']
    assert sessions[0]['login'] == 'carol' and sessions[0]['baseline'] is False
    assert sessions[0]['findings'] == []
    assert fake.calls == ['all', 'all', 'all'] and fake.closed


@pytest.mark.asyncio
async def test_emit_baseline_reports_every_open_session_once_with_all_entries(monkeypatch):
    first = [entry('s1'), entry('s1', session_type='websocket'), entry('s2', login='bob')]
    dummy, events = await collect(monkeypatch, [first, first], emit_baseline=True)
    sessions = session_events(events)
    assert [item['session_id'] for item in sessions] == ['s1', 's2']
    assert all(item['baseline'] for item in sessions)
    assert [e['session_type'] for e in sessions[0]['entries']] == ['http', 'websocket']


@pytest.mark.asyncio
async def test_a_session_that_comes_back_after_closing_is_not_reported_twice_but_a_new_id_is(monkeypatch):
    listings = [[entry('s1')], [], [entry('s1')], [entry('s2')]]
    dummy, events = await collect(monkeypatch, listings)
    assert [item['session_id'] for item in session_events(events)] == ['s2']


@pytest.mark.asyncio
async def test_flags_watch_list_limit_site_and_domain(monkeypatch):
    first = [entry('old', login='mallory')]
    second = first + [
        entry('w1', login='mallory'),
        entry('x1', login='ok', site='east'),
        entry('x2', login='ok2', domain='evil'),
        entry('l1', login='busy'), entry('l2', login='busy'), entry('l3', login='busy'),
    ]
    dummy, events = await collect(
        monkeypatch, [first, second], watch_users=['mallory'], allowed_sites=['central'],
        allowed_domains='d1', max_sessions_per_user=2)
    by_id = {item['session_id']: item for item in session_events(events)}
    assert set(by_id) == {'w1', 'x1', 'x2', 'l1', 'l2', 'l3'}
    assert by_id['w1']['findings'] == ['watched'] and by_id['w1']['account_sessions'] == 2
    assert by_id['x1']['findings'] == ['unexpected_site'] and by_id['x1']['sites'] == ['east']
    assert by_id['x2']['findings'] == ['unexpected_domain']
    for session_id in ('l1', 'l2', 'l3'):
        assert by_id[session_id]['findings'] == ['over_limit']
        assert by_id[session_id]['account_sessions'] == 3


@pytest.mark.asyncio
async def test_watch_list_matches_user_id_as_session_findings_does(monkeypatch):
    second = [entry('n1', login='someone', user_id='U-42')]
    dummy, events = await collect(monkeypatch, [[], second], watch_users=['U-42'])
    assert session_events(events)[0]['flags'] == {
        'watched': True, 'over_limit': False, 'unexpected_site': False, 'unexpected_domain': False}


@pytest.mark.asyncio
async def test_api_errors_become_events_and_polling_goes_on(monkeypatch):
    error = IncoplaxApiError('GET', '/rest/v1/master/logicalroles/ws/sessions', 503, reason='Service Unavailable')
    listings = [error, [entry('s1')], RuntimeError('boom'), RuntimeError('boom'), [entry('s1'), entry('s2')]]
    dummy, events = await collect(monkeypatch, listings)
    errors = error_events(events)
    assert [item['consecutive_failures'] for item in errors] == [1, 1, 2]
    assert errors[0]['status'] == 503 and 'HTTP 503' in errors[0]['message']
    assert errors[1]['type'] == 'RuntimeError' and errors[1]['message'] == 'boom'
    # The baseline is the first SUCCESSFUL poll; s2 is new afterwards.
    assert [item['session_id'] for item in session_events(events)] == ['s2']
    assert 'secret-token' not in repr(events)


@pytest.mark.asyncio
async def test_backoff_doubles_and_is_capped(monkeypatch):
    sleeps = []

    async def fake_sleep(delay):
        sleeps.append(delay)

    monkeypatch.setattr(ws_sessions.asyncio, 'sleep', fake_sleep)
    error = RuntimeError('down')
    dummy, events = await collect(monkeypatch, [error] * 5 + [[]], interval=1, max_backoff=5, max_polls=6)
    assert [item['retry_in'] for item in error_events(events)] == [2, 4, 5, 5, 5]
    assert sleeps == [2, 4, 5, 5, 5]


def test_memory_is_bounded_but_current_sessions_are_never_forgotten():
    settings_ = ws_sessions.settings_from_args(dict(BASE_ARGS, max_tracked=3))
    tracker = ws_sessions.SessionTracker(settings_)
    tracker.update([])
    for number in range(50):
        events = tracker.update([entry('s%d' % number)])
        assert [event['incoplax_session']['session_id'] for event in events] == ['s%d' % number]
        assert len(tracker.seen) <= 3
    # A listing larger than the cap is kept whole, so none of it is reported again next poll.
    big = [entry('b%d' % number) for number in range(10)]
    assert len(tracker.update(big)) == 10
    assert tracker.update(big) == []
    assert len(tracker.seen) == 10


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(['a', 'b', 'c', 'd', 'e', 'f']), max_size=4), min_size=1, max_size=8),
       st.integers(min_value=1, max_value=8))
def test_each_id_is_reported_at_most_once_while_remembered(polls, cap):
    settings_ = ws_sessions.settings_from_args(dict(BASE_ARGS, max_tracked=cap))
    tracker = ws_sessions.SessionTracker(settings_)
    reported = []
    previous = set()
    for index, ids in enumerate(polls):
        events = tracker.update([entry(session_id) for session_id in ids])
        new = [event['incoplax_session']['session_id'] for event in events]
        assert len(new) == len(set(new))
        assert not set(new) & previous  # an id listed on the previous poll is never new
        if index == 0:
            assert new == []
        assert len(tracker.seen) <= max(cap, len(set(ids)))
        reported += new
        previous = set(ids)
    if cap >= 6:
        assert len(reported) == len(set(reported))


def test_connection_from_environment_and_bad_arguments_named(monkeypatch):
    env = {'INCOPLAX_URL': 'https://p.example.com', 'INCOPLAX_USERNAME': 'u', 'INCOPLAX_PASSWORD': 'pw-secret-1',
           'INCOPLAX_VALIDATE_CERTS': 'false'}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = ws_sessions.settings_from_args({})
    assert result['connection'] == {'url': 'https://p.example.com', 'token': None, 'username': 'u', 'password': 'pw-secret-1',
                                    'validate_certs': False, 'ca_path': None, 'timeout': 30, 'retries': 3}
    assert result['sites'] == 'all'
    assert ws_sessions.settings_from_args({'sites': 'east'})['sites'] == ['east']
    for args, word in (({'interval': -1}, 'interval'), ({'max_polls': 'x'}, 'max_polls'),
                       ({'watch_users': [['a']]}, 'watch_users'), ({'allowed_sites': 'a,,b'}, 'allowed_sites'),
                       ({'sites': []}, 'sites'), ({'max_tracked': 0}, 'max_tracked'),
                       ({'url': 'ftp://x'}, 'url'), ({'token': 'a-real-token-value'}, 'mutually exclusive'), ({'timeout': 0}, 'timeout'),
                       ({'nosuch': 1}, 'nosuch'), ({'emit_baseline': 'maybe'}, 'emit_baseline')):
        with pytest.raises(ws_sessions.SourceArgumentError, match=word):
            ws_sessions.settings_from_args(args)
    monkeypatch.delenv('INCOPLAX_USERNAME')
    with pytest.raises(ws_sessions.SourceArgumentError, match='one of the following is required: token, username'):
        ws_sessions.settings_from_args({'url': 'https://p.example.com'})


def test_names_are_trimmed_deduplicated_and_split_like_a_survey_string():
    settings_ = ws_sessions.settings_from_args(dict(BASE_ARGS, watch_users=' jdoe ,asmith,jdoe', allowed_sites=['east ']))
    assert settings_['watch_users'] == ['jdoe', 'asmith'] and settings_['allowed_sites'] == ['east']
    assert settings_['max_backoff'] == 0 and settings_['interval'] == 0


def test_a_bad_argument_never_shows_the_secret():
    secret = 'tok-' + 'x' * 20
    with pytest.raises(ws_sessions.SourceArgumentError) as caught:
        ws_sessions.settings_from_args({'url': 'https://p.example.com', 'token': secret, 'password': secret,
                                        'retries': secret})
    assert 'retries' in str(caught.value) and secret not in str(caught.value)


@pytest.mark.asyncio
async def test_the_real_client_is_built_from_the_connection_options(monkeypatch):
    monkeypatch.setenv('INCOPLAX_TOKEN', 'from-env')
    connection = ws_sessions.settings_from_args({'url': 'http://127.0.0.1:9'})['connection']
    client = ws_sessions.client_factory(connection)
    try:
        assert client.base_url == 'http://127.0.0.1:9'
        assert client._session.headers['Authorization'] == 'Bearer from-env'  # pylint: disable=protected-access
    finally:
        client.close()


class Budget:
    """Counts renewals, as RetryBudget.renew is called."""

    def __init__(self):
        self.renewals = 0

    def renew(self):
        self.renewals += 1


@pytest.mark.asyncio
async def test_each_poll_gets_the_whole_retry_budget(monkeypatch):
    fake = FakeClient([[], [entry('s1')], RuntimeError('down')])
    fake.budget = Budget()
    monkeypatch.setattr(ws_sessions, 'client_factory', lambda connection: fake)
    await ws_sessions.main(asyncio.Queue(), dict(BASE_ARGS, max_polls=3))
    assert fake.budget.renewals == 3 and len(fake.calls) == 3
