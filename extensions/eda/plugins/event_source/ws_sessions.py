# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ansible-rulebook event source incoplax.platform.ws_sessions: one event per new web session.

The listing goes through the collection's own client (the same one the modules use); the flags come from
the session_findings filter of the session_audit role, so a rulebook and an audit agree on what is wrong.
"""

from __future__ import annotations

import asyncio
import os
import sys

from collections import OrderedDict
from typing import Any

DOCUMENTATION = r"""
---
short_description: Emit an event for each new Incoplax web session.
description:
  - An ansible-rulebook event source plugin that polls the open web sessions of an Incoplax platform
    and puts one event on the queue for each session id it has not seen before.
  - The first successful poll is a baseline. It records the sessions already open and emits nothing,
    unless O(emit_baseline) is set, so that starting a rulebook does not flood it.
  - A session id is listed once per session type (C(http), C(websocket)) and site; the event carries
    every entry of that id.
  - Each event carries flags computed with the logic of the P(incoplax.platform.session_findings#filter)
    filter used by the session_audit role, so a rulebook and an audit agree.
  - A failed listing (network error, HTTP error, an answer that is not a session list) is reported as an
    event of its own under the C(incoplax_error) key, then polling continues with a growing delay.
    The plugin never stops because of an API error.
  - Remembered session ids are bounded by O(max_tracked); the ids of the current listing are always kept,
    so a session still open is never reported twice.
  - "Event shape: C(incoplax_session) with C(session_id), C(login), C(user_id), C(domain), C(sites),
    C(entries), C(flags) (C(watched), C(over_limit), C(unexpected_site), C(unexpected_domain)),
    C(findings) (the names of the flags that are true), C(account_sessions) and C(baseline)."
  - "Error event shape: C(incoplax_error) with C(message), C(status), C(method), C(path),
    C(consecutive_failures) and C(retry_in) (seconds)."
options:
  url:
    description:
      - Base URL of the Incoplax platform. Defaults to E(INCOPLAX_URL).
    type: str
    required: true
  token:
    description:
      - Bearer token. Defaults to E(INCOPLAX_TOKEN). Mutually exclusive with O(username).
    type: str
  username:
    description:
      - User name for HTTP basic authentication. Defaults to E(INCOPLAX_USERNAME).
    type: str
  password:
    description:
      - Password for HTTP basic authentication. Defaults to E(INCOPLAX_PASSWORD).
    type: str
  validate_certs:
    description:
      - Whether to verify the platform's TLS certificate. Defaults to E(INCOPLAX_VALIDATE_CERTS), then V(true).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of CA certificates for the platform's certificate. Defaults to E(INCOPLAX_CA_PATH).
    type: str
  timeout:
    description:
      - Seconds to wait for one answer.
    type: int
    default: 30
  retries:
    description:
      - Retries of one request by the client (connection errors, HTTP 429, 502, 503, 504).
    type: int
    default: 3
  sites:
    description:
      - Which sites to list, as for the modules' C(sites) option.
    type: raw
    default: all
  interval:
    description:
      - Seconds between two polls.
    type: float
    default: 10
  max_backoff:
    description:
      - Longest delay in seconds between two polls while the listing keeps failing.
        The delay doubles after each failure, from O(interval), up to this value.
    type: float
    default: 300
  emit_baseline:
    description:
      - Emit the sessions of the first successful poll too (with C(baseline) true).
    type: bool
    default: false
  allowed_sites:
    description:
      - Sites a login is expected from. A session on another site gets the C(unexpected_site) flag.
      - Empty means no check.
    type: list
    elements: str
    default: []
  allowed_domains:
    description:
      - Domains a login is expected in. A session in another domain gets the C(unexpected_domain) flag.
      - Empty means no check.
    type: list
    elements: str
    default: []
  max_sessions_per_user:
    description:
      - An account with more distinct open sessions than this gets the C(over_limit) flag on its new sessions.
      - V(0) disables this check.
    type: int
    default: 0
  watch_users:
    description:
      - Logins or user ids to watch, for example the accounts contained by an incident.
      - A new session whose login or user id is in this list gets the C(watched) flag.
    type: list
    elements: str
    default: []
  max_tracked:
    description:
      - How many session ids are remembered for deduplication, at least the size of the current listing.
    type: int
    default: 100000
  max_polls:
    description:
      - Stop after this many polls (successful or not). V(0) polls for ever. Meant for tests and one-shot runs.
    type: int
    default: 0
"""

EXAMPLES = r"""
- incoplax.platform.ws_sessions:
    url: https://platform.example.com
    sites: all
    interval: 15
    watch_users: [jdoe, asmith]
    allowed_sites: [central, east]
    max_sessions_per_user: 3
"""

# ansible-rulebook runs this file with runpy, outside Ansible's collection loader: make the collection's
# own Python importable from the tree this file lives in (<path>/ansible_collections/incoplax/platform/...).
try:
    from ansible_collections.incoplax.platform.plugins.module_utils._api import IncoplaxClient  # noqa: E402
except ImportError:  # pragma: no cover - depends on how the engine was started
    _TREE = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), *(['..'] * 7)))
    if _TREE not in sys.path:
        sys.path.append(_TREE)
    from ansible_collections.incoplax.platform.plugins.module_utils._api import IncoplaxClient  # noqa: E402

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402

from ansible_collections.incoplax.platform.plugins.module_utils._args import (  # noqa: E402
    CONNECTION_ARGUMENT_SPEC,
    CONNECTION_CONSTRAINTS,
    check_connection_params,
    normalize_sites,
)
from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxError  # noqa: E402
from ansible_collections.incoplax.platform.plugins.module_utils._redact import Redactor  # noqa: E402
from ansible_collections.incoplax.platform.plugins.plugin_utils._audit import session_findings  # noqa: E402

FLAG_NAMES = ('watched', 'over_limit', 'unexpected_site', 'unexpected_domain')
CONNECTION_OPTIONS = ('url', 'token', 'username', 'password', 'validate_certs', 'ca_path', 'timeout', 'retries')
NAME_LISTS = ('allowed_sites', 'allowed_domains', 'watch_users')
# The modules' own connection options (with their INCOPLAX_* fallbacks), then the source's; the lowest value each
# number may take is checked after the types.
ARGUMENT_SPEC = dict(
    {option: CONNECTION_ARGUMENT_SPEC[option] for option in CONNECTION_OPTIONS},
    sites=dict(type='raw', default='all'),
    interval=dict(type='float', default=10),
    max_backoff=dict(type='float', default=300),
    emit_baseline=dict(type='bool', default=False),
    max_sessions_per_user=dict(type='int', default=0),
    max_tracked=dict(type='int', default=100000),
    max_polls=dict(type='int', default=0),
    **{option: dict(type='list', elements='str', default=[]) for option in NAME_LISTS}
)
MINIMUM = {'interval': 0, 'max_backoff': 0, 'max_sessions_per_user': 0, 'max_tracked': 1, 'max_polls': 0}


class SourceArgumentError(ValueError):
    """A bad argument of the event source; the text names the argument and the fix."""


def settings_from_args(args):
    """The validated settings of one source, from the rulebook's args and the INCOPLAX_* environment."""
    args = {key: value for key, value in (args or {}).items() if key != 'eda_feedback_queue'}
    for option in NAME_LISTS:
        # Checked before the types: elements='str' would turn a nested list into the text "['a']".
        value = args.get(option)
        items = value.split(',') if isinstance(value, str) else value if isinstance(value, (list, tuple)) else []
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise SourceArgumentError('%s: %r is not a name (expected non-empty strings in a flat list, or one '
                                          'comma-separated string)' % (option, item))
    result = ArgumentSpecValidator(ARGUMENT_SPEC, **CONNECTION_CONSTRAINTS).validate(args)
    settings = result.validated_parameters
    if result.error_messages:
        secrets = {option: settings[option] for option in ('token', 'password') if isinstance(settings.get(option), str)}
        raise SourceArgumentError(Redactor(**secrets).redact('; '.join(result.error_messages)))
    for option, minimum in MINIMUM.items():
        if settings[option] < minimum:
            raise SourceArgumentError('%s: must be %s or more, got %r' % (option, minimum, settings[option]))
    try:
        check_connection_params(settings)
        settings['sites'] = normalize_sites(settings['sites'])
    except IncoplaxError as exc:
        raise SourceArgumentError(str(exc))
    for option in NAME_LISTS:
        settings[option] = list(dict.fromkeys(name.strip() for name in settings[option]))
    settings['max_backoff'] = max(settings['interval'], settings['max_backoff'])
    settings['connection'] = {option: settings.pop(option) for option in CONNECTION_OPTIONS}
    return settings


def client_factory(connection):
    """The API client; tests replace this function to inject a fake client."""
    return IncoplaxClient(**connection)


def _account_key(domain, login, user_id):
    # The account identity session_findings uses: the user id, or the login when an entry has none.
    return (domain, user_id if user_id not in (None, '') else login)


class SessionTracker:
    """Dedup and flags over successive listings; pure, no I/O."""

    def __init__(self, settings):
        self.settings = settings
        self.seen = OrderedDict()
        self.baselined = False

    def update(self, entries):
        """The events for the session ids of ``entries`` not seen before (none on the baseline poll)."""
        by_id = OrderedDict()
        for entry in entries:
            by_id.setdefault(entry.get('session_id'), []).append(entry)
        baseline = not self.baselined
        new_ids = [session_id for session_id in by_id if session_id not in self.seen]
        for session_id in by_id:
            self.seen[session_id] = True
            self.seen.move_to_end(session_id)
        # Oldest first; the current ids are at the end and are never evicted.
        while len(self.seen) > self.settings['max_tracked']:
            oldest = next(iter(self.seen))
            if oldest in by_id:
                break
            self.seen.popitem(last=False)
        self.baselined = True
        if not new_ids or (baseline and not self.settings['emit_baseline']):
            return []
        findings = session_findings(entries, self.settings['max_sessions_per_user'], self.settings['watch_users'])
        over_limit = {_account_key(item['domain'], item['login'], item['user_id']): item['sessions']
                      for item in findings['users_over_limit']}
        watched = {item['session_id'] for item in findings['privileged_sessions']}
        sessions_per_account = {}
        for session_id, group in by_id.items():
            key = _account_key(group[0].get('domain'), group[0].get('login'), group[0].get('user_id'))
            sessions_per_account[key] = sessions_per_account.get(key, 0) + 1
        return [self._event(session_id, by_id[session_id], over_limit, watched, sessions_per_account, baseline)
                for session_id in new_ids]

    def _event(self, session_id, group, over_limit, watched, sessions_per_account, baseline):
        first = group[0]
        key = _account_key(first.get('domain'), first.get('login'), first.get('user_id'))
        sites = sorted({entry.get('site') for entry in group if entry.get('site') is not None}, key=str)
        allowed_sites = self.settings['allowed_sites']
        allowed_domains = self.settings['allowed_domains']
        flags = {
            'watched': session_id in watched,
            'over_limit': key in over_limit,
            'unexpected_site': bool(allowed_sites) and any(entry.get('site') not in allowed_sites for entry in group),
            'unexpected_domain': bool(allowed_domains) and any(entry.get('domain') not in allowed_domains for entry in group),
        }
        return {'incoplax_session': {
            'session_id': session_id,
            'login': first.get('login'),
            'user_id': first.get('user_id'),
            'domain': first.get('domain'),
            'sites': sites,
            'entries': group,
            'flags': flags,
            'findings': [name for name in FLAG_NAMES if flags[name]],
            'account_sessions': sessions_per_account[key],
            'baseline': baseline,
        }}


def error_event(exc, failures, retry_in):
    """The event reporting a failed listing; its text is the client's, which never holds a secret."""
    return {'incoplax_error': {
        'message': str(exc) or type(exc).__name__,
        'type': type(exc).__name__,
        'status': getattr(exc, 'status', None),
        'method': getattr(exc, 'method', None),
        'path': getattr(exc, 'path', None),
        'consecutive_failures': failures,
        'retry_in': retry_in,
    }}


async def main(queue: asyncio.Queue[Any], args: dict[str, Any]) -> None:
    """Poll the sessions listing and put one event per new session id on ``queue``."""
    settings = settings_from_args(args)
    client = client_factory(settings['connection'])
    tracker = SessionTracker(settings)
    polls = failures = 0
    try:
        while True:
            delay = settings['interval']
            # Each poll gets the whole retry budget: a source runs for days, its client's budget is for one listing.
            budget = getattr(client, 'budget', None)
            if budget is not None:
                budget.renew()
            try:
                entries = await asyncio.to_thread(client.list_sessions, settings['sites'])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # pylint: disable=broad-exception-caught
                # Any failure of one poll is reported and retried later; the source itself keeps running.
                failures += 1
                delay = min(settings['max_backoff'], max(settings['interval'], 0.5) * 2 ** min(failures, 20))
                await queue.put(error_event(exc, failures, delay))
            else:
                failures = 0
                for event in tracker.update(entries):
                    await queue.put(event)
            polls += 1
            if settings['max_polls'] and polls >= settings['max_polls']:
                return
            await asyncio.sleep(delay)
    finally:
        close = getattr(client, 'close', None)
        if close is not None:
            close()


if __name__ == '__main__':
    class _PrintQueue:
        async def put(self, event):
            print(event)  # noqa: T201

    asyncio.run(main(_PrintQueue(), {'max_polls': 1, 'emit_baseline': True}))
