# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Closing sessions, the I/O part: list, send concurrently, list again until settled. The run of ws_session.

Every decision is taken by the pure functions of ``_plan``; this file only talks to the platform.

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxError, ParameterError
from ansible_collections.incoplax.platform.plugins.module_utils._plan import (
    Outcome,
    is_caller,
    listed_keys,
    outcome,
    plan,
    refused,
    result_of,
    settled,
    still_listed,
    warnings_of,
)
from ansible_collections.incoplax.platform.plugins.module_utils._request import (
    SESSION_TARGET,
    failed_target,
    read_request,
    refuse_bad_session_ids,
)

POLL_FIRST = 0.2
POLL_MAX = 2.0
# A lone session left to the caller's own account must persist this long before it is taken for the
# request's own session rather than one still propagating.
SURVIVOR_CONFIRM = 1.0


def execute(client, targets, domain, concurrency):
    """Send one request per sendable target, ``concurrency`` at a time; record each target's error, never raise."""

    def act(target):
        try:
            if target.kind == SESSION_TARGET:
                target.not_found = not client.close_session(target.name, target.scope)
            else:
                client.logout_user(domain, target.name, target.scope)
        except IncoplaxError as exc:
            target.error = exc

    sendable = [target for target in targets if target.problem is None]
    if not sendable:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(sendable)))) as pool:
        list(pool.map(act, sendable))


def settle(client, sites, targets, caller, wait, wait_timeout, sleep=time.sleep, clock=time.monotonic):
    """List again after sending; with ``wait``, poll until every target is settled or the time is up.

    Returns the last listing, and whether a lone session left to the caller's account was seen to persist
    for ``SURVIVOR_CONFIRM`` seconds (only then may it be spared).
    """
    deadline = clock() + wait_timeout
    interval = POLL_FIRST
    confirmed_at = None
    while True:
        after = client.list_sessions(sites)
        if not wait:
            return after, False
        listed = listed_keys(after)
        pending = [target for target in targets if not settled(target, listed, caller)]
        survivors = [target for target in targets
                     if not target.failed and is_caller(target, caller) and still_listed(target, listed)]
        now = clock()
        if not pending and survivors and confirmed_at is None:
            confirmed_at = now
        if not pending and (not survivors or now - confirmed_at >= SURVIVOR_CONFIRM):
            return after, bool(survivors)
        if now >= deadline:
            return after, False
        if not pending:
            sleep(min(SURVIVOR_CONFIRM, max(0.0, deadline - now)))
            continue
        confirmed_at = None
        sleep(min(interval, max(0.0, deadline - now)))
        interval = min(interval * 2, POLL_MAX)


def close_sessions(module):
    """The whole run of ws_session; returns the result dict (with ``failed`` when the run failed)."""
    params = module.params
    request = read_request(params)
    refused_ids = refuse_bad_session_ids(request['session_ids'])
    if refused_ids:
        raise ParameterError('session_id: %s; nothing was sent' % '; '.join(
            '%s: %s' % (item['target'], item['error']) for item in refused_ids), result={'failed_targets': refused_ids})
    caller = params.get('caller') or params.get('username')
    client = module.client(pool_size=params['concurrency'])
    before = client.list_sessions(request['sites'])
    the_plan = plan(before, request)
    the_plan.refuse_above(params['max_sessions'])
    check_mode = module.check_mode
    result_args = dict(request=request, the_plan=the_plan, caller=caller, check_mode=check_mode, wait=params['wait'],
                       wait_timeout=params['wait_timeout'], diff_mode=module.diff_mode)
    if the_plan.refusal is not None:
        return _finish(module, result_of(found=refused(the_plan), **result_args), request, the_plan, Outcome())
    targets = the_plan.targets
    if check_mode or not targets:
        found = outcome(targets, before, True, caller) if check_mode else Outcome()
        return _finish(module, result_of(found=found, **result_args), request, the_plan, found)
    execute(client, targets, request['domain'], params['concurrency'])
    try:
        after, confirmed = settle(client, request['sites'], targets, caller, params['wait'], params['wait_timeout'])
    except IncoplaxError as exc:
        # The requests were sent; without a listing nothing can be claimed closed, but what was sent is kept.
        found = Outcome()
        found.failed_targets = [failed_target(t.name, t.kind, str(t.error or t.problem), getattr(t.error, 'status', None))
                                for t in targets if t.failed]
        sent = [entry for target in targets if not target.failed for entry in target.entries]
        return _finish(module, result_of(found=found, unverified=sent, verify_error=str(exc), **result_args),
                       request, the_plan, found)
    found = outcome(targets, after, False, caller, confirmed)
    return _finish(module, result_of(found=found, **result_args), request, the_plan, found)


def _finish(module, result, request, the_plan, found):
    for warning in warnings_of(request, the_plan, found, module.params['wait']):
        module.warn(warning)
    return result
