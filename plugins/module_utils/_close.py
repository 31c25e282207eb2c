# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Closing sessions: plan from a snapshot, act concurrently, verify from a second snapshot.

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.incoplax.platform.plugins.module_utils._api import IncoplaxApiError
from ansible_collections.incoplax.platform.plugins.module_utils._args import ParameterError
from ansible_collections.incoplax.platform.plugins.module_utils._sessions import (
    belongs_to,
    count_by_site,
    filter_sessions,
    group_by_id,
    identities_of,
    index_by_user,
    lone_survivor,
    session_key,
    sort_entries,
    still_open,
)

MAX_SESSION_ID_LENGTH = 1024
POLL_FIRST = 0.2
POLL_MAX = 2.0
# How long a lone survivor of a user logout must persist before we call it the caller's own session.
SURVIVOR_CONFIRM = 1.0

SESSION_TARGET = 'session_id'
USER_TARGET = 'user'


def check_session_id(session_id, option='session_id'):
    """Refuse ids that could not be one path segment of a real session."""
    if not isinstance(session_id, str) or session_id in ('', '.', '..'):
        raise ParameterError('%s: %r is not a session id; give ids exactly as ws_session_info lists them'
                             % (option, session_id))
    if len(session_id) > MAX_SESSION_ID_LENGTH:
        raise ParameterError('%s: an id of %d characters is longer than %d; give ids exactly as ws_session_info '
                             'lists them' % (option, len(session_id), MAX_SESSION_ID_LENGTH))
    if any(ch.isspace() or not ch.isprintable() for ch in session_id):
        raise ParameterError('%s: %r contains whitespace or control characters; give ids exactly as '
                             'ws_session_info lists them' % (option, session_id))


class Target:
    """One request to make: a DELETE of a session id, or a logout POST of a user."""

    def __init__(self, kind, name, entries):
        self.kind = kind
        self.name = name
        self.entries = entries
        self.error = None
        self.already_gone = False

    def describe(self):
        return '%s %s' % ('session' if self.kind == SESSION_TARGET else 'user', self.name)


class Plan:
    def __init__(self, targets, not_open, skipped_protected):
        self.targets = targets
        self.not_open = not_open
        self.skipped_protected = skipped_protected

    @property
    def entries(self):
        return [entry for target in self.targets for entry in target.entries]

    @property
    def session_count(self):
        return len({entry['session_id'] for entry in self.entries})


def refuse_protected_users(users, protected):
    """Fail before any request when a protected account is named as a user target."""
    named = sorted(set(users) & set(protected))
    if named:
        raise ParameterError('user: %s listed in protected_users; remove %s from user (nothing was closed)'
                             % (', '.join(named), 'it' if len(named) == 1 else 'them'))


def plan(before, session_ids=None, users=None, domain=None, match=None, protected=()):
    """Decide what to close from the snapshot ``before``; raises ParameterError on a protected target."""
    protected_ids = identities_of(before, protected)
    if users:
        refuse_protected_users(users, protected_ids)
        by_user = index_by_user(before)
        targets, not_open, covered = [], [], set()
        for user in users:
            entries = by_user.get((domain, user), [])
            ids = {entry['session_id'] for entry in entries}
            if not entries:
                not_open.append(user)
            elif not ids <= covered:
                # The same account named by login and by id is logged out once.
                targets.append(Target(USER_TARGET, user, entries))
                covered |= ids
        return Plan(targets, not_open, [])
    if session_ids:
        by_id = group_by_id(before)
        targets, not_open = [], []
        for session_id in session_ids:
            entries = by_id.get(session_id, [])
            owners = sorted({str(e.get('login')) for e in entries if belongs_to(e, protected_ids)})
            if owners:
                raise ParameterError('session_id: %s belongs to protected user %s; remove it from session_id '
                                     '(nothing was closed)' % (session_id, ', '.join(owners)))
            if entries:
                targets.append(Target(SESSION_TARGET, session_id, entries))
            else:
                not_open.append(session_id)
        return Plan(targets, not_open, [])
    matched = filter_sessions(before, match)
    skipped = [entry for entry in matched if belongs_to(entry, protected_ids)]
    wanted_ids = {entry['session_id'] for entry in matched if not belongs_to(entry, protected_ids)}
    # The DELETE of an id closes its http and websocket entries alike, so both are the target's, matched or not.
    by_id = group_by_id(before)
    targets = [Target(SESSION_TARGET, session_id, entries) for session_id, entries in by_id.items()
               if session_id in wanted_ids]
    return Plan(targets, [], skipped)


def execute(client, targets, domain, sites, concurrency):
    """Send one request per target, ``concurrency`` at a time; record each target's error, never raise."""

    def act(target):
        try:
            if target.kind == SESSION_TARGET:
                target.already_gone = not client.close_session(target.name, sites)
            else:
                client.logout_user(domain, target.name, sites)
        except IncoplaxApiError as exc:
            target.error = exc

    if not targets:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(targets)))) as pool:
        list(pool.map(act, targets))


def _unsettled(targets, after_ids):
    """Targets whose sessions are still listed beyond what the API may legitimately leave open."""
    pending = []
    for target in targets:
        if target.error is not None:
            continue
        open_ids = {e['session_id'] for e in still_open(target.entries, after_ids)}
        allowed = 1 if target.kind == USER_TARGET else 0
        if len(open_ids) > allowed:
            pending.append(target)
    return pending


def settle(client, sites, targets, wait, wait_timeout, sleep=time.sleep, clock=time.monotonic):
    """Snapshot after acting; with ``wait``, poll until the closed sessions are gone or the time is up."""
    deadline = clock() + wait_timeout
    interval = POLL_FIRST
    confirmed = False
    while True:
        after = client.list_sessions(sites)
        after_ids = {entry['session_id'] for entry in after}
        if not wait:
            return after
        unsettled = _unsettled(targets, after_ids)
        survivors = any(target.kind == USER_TARGET and target.error is None and still_open(target.entries, after_ids)
                        for target in targets)
        if not unsettled and (not survivors or confirmed):
            return after
        if clock() >= deadline:
            return after
        if not unsettled:
            confirmed = True
            sleep(min(SURVIVOR_CONFIRM, max(0.0, deadline - clock())))
            continue
        sleep(min(interval, max(0.0, deadline - clock())))
        interval = min(interval * 2, POLL_MAX)


def outcome(targets, after, check_mode):
    """Sort every planned entry into closed, spared or remaining, by comparing with ``after``."""
    closed, spared, remaining = [], [], []
    if check_mode:
        return [entry for target in targets for entry in target.entries], spared, remaining
    after_ids = {entry['session_id'] for entry in after}
    for target in targets:
        if target.already_gone:
            continue
        survivor = None
        if target.kind == USER_TARGET and target.error is None:
            survivor = lone_survivor(target.entries, after_ids)
        for entry in target.entries:
            if entry['session_id'] not in after_ids:
                closed.append(entry)
            elif entry['session_id'] == survivor:
                spared.append(entry)
            else:
                remaining.append(entry)
    return closed, spared, remaining


def diff_of(targets, after, check_mode, closed):
    planned = [entry for target in targets for entry in target.entries]
    if check_mode:
        closed_ids = {entry['session_id'] for entry in closed}
        after_entries = [entry for entry in planned if entry['session_id'] not in closed_ids]
    else:
        after_ids = {entry['session_id'] for entry in after}
        after_entries = still_open(planned, after_ids)
    return {
        'before': {'sessions': [session_key(e) for e in sort_entries(planned)]},
        'after': {'sessions': [session_key(e) for e in sort_entries(after_entries)]},
    }


def counts(closed, spared, skipped_protected, failed_targets):
    return {
        'total': len({entry['session_id'] for entry in closed}),
        'entries': len(closed),
        'by_site': count_by_site(closed),
        'spared': len({entry['session_id'] for entry in spared}),
        'skipped_protected': len({entry['session_id'] for entry in skipped_protected}),
        'failed_targets': len(failed_targets),
    }
