#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: ws_session
short_description: Close web sessions of the Incoplax platform, by id, by user, or by match
version_added: 0.1.0
description:
  - Closes open web sessions of the Incoplax platform and reports exactly what was closed.
  - "The module lists the open sessions first (one request with O(sites)), acts only on targets that have
    open sessions, then lists them again: a session counts as closed only if it was open before and is gone
    after. Running it twice changes nothing the second time."
  - Targets are closed concurrently, O(concurrency) requests at a time. Every target is tried even if some
    fail; the task then fails, lists each failed target with its error, and still reports what was closed.
  - Accounts in O(protected_users) are never touched.
author:
  - Incoplax platform team (@incoplax)
options:
  state:
    description:
      - V(absent) closes the targeted sessions. It is the only state.
    type: str
    choices: [absent]
    default: absent
  session_id:
    description:
      - Ids of sessions to close, each with one C(DELETE) request.
      - An id listed twice by the API (once as C(http), once as C(websocket)) is one session, closed once.
      - An id that is not open on O(sites) is left alone and reported in RV(not_open).
      - An id that is empty, V(.) or V(..), or contains whitespace or control characters is refused.
      - Mutually exclusive with O(user) and O(match).
    type: list
    elements: str
  user:
    description:
      - Users (login or user id) whose sessions in O(domain) are all closed, with one logout C(POST) per user.
      - The platform spares the session making the request. If the account running this module is one of
        the users, its own session stays open and is reported in RV(spared).
      - Requires O(domain). Mutually exclusive with O(session_id) and O(match).
    type: list
    elements: str
  domain:
    description:
      - Domain of the users in O(user). Required with O(user), and only used with it.
    type: str
  match:
    description:
      - Close every open session that matches all the keys set here (AND between keys, OR within a key),
        one C(DELETE) per session id.
      - At least one key must be set. Mutually exclusive with O(session_id) and O(user).
    type: dict
    suboptions:
      login:
        description: Logins.
        type: list
        elements: str
      user_id:
        description: User ids.
        type: list
        elements: str
      domain:
        description: Domains.
        type: list
        elements: str
      session_id:
        description: Session ids.
        type: list
        elements: str
      session_type:
        description: Session types.
        type: list
        elements: str
        choices: [http, websocket]
      site:
        description: Sites, matched against the listed sessions within O(sites).
        type: list
        elements: str
  protected_users:
    description:
      - Logins or user ids whose sessions this module never closes.
      - An account given by login is also recognised by its user id, and the reverse, from the session list.
      - Naming a protected account in O(user), or one of its sessions in O(session_id), fails before anything
        is closed. Under O(match) their sessions are left open and reported in RV(skipped_protected).
    type: list
    elements: str
    default: []
  sites:
    description:
      - Which sites to act on, as in M(incoplax.platform.ws_session_info) - V(all), V(current), one site name,
        or a list of site names. Omitted means the API default, the current site.
      - The same value is sent with the listing, every C(DELETE) and every C(POST).
    type: raw
  concurrency:
    description:
      - How many target requests are in flight at once.
    type: int
    default: 8
  max_sessions:
    description:
      - If more sessions than this would be closed, fail before closing anything.
      - Also applies in check mode, so that a dry run shows the guard tripping.
    type: int
  wait:
    description:
      - After closing, list the sessions again until the closed ones no longer appear.
      - With V(false), the sessions are listed once after closing; any still open are reported in RV(remaining)
        with a warning.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait with O(wait). Sessions still open then (other than a spared one) make the task fail.
    type: int
    default: 30
extends_documentation_fragment:
  - incoplax.platform.connection
  - incoplax.platform.attributes
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
    details:
      - No C(POST) or C(DELETE) is sent; RV(closed) lists what would be closed.
      - The platform spares the requesting session on a user logout; check mode cannot know which session that
        is, so it predicts all sessions of the user as closed.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: full
    details:
      - The diff lists the open sessions of the targets (id, login, site, type) before and after.
notes:
  - A C(DELETE) answered with 404 means the session was already gone; it is neither an error nor a change.
seealso:
  - module: incoplax.platform.ws_session_info
'''

EXAMPLES = r'''
- name: Close two sessions by id on every site
  incoplax.platform.ws_session:
    url: https://platform.example.com
    token: "{{ incoplax_token }}"
    sites: all
    session_id:
      - 51e6cad2-0176-8f8e-a432-e0d55e0cd303
      - 16d72c4c-0176-99e7-5545-e0d55e0cd303

- name: Log out compromised accounts everywhere, never touching the break-glass account
  incoplax.platform.ws_session:
    url: https://platform.example.com
    token: "{{ incoplax_token }}"
    sites: all
    domain: master.domain
    user:
      - jdoe
      - 37eca732-016d-2962-dbfa-e0d55e0cd303
    protected_users:
      - breakglass
    max_sessions: 200
  register: logout

- name: Close every websocket session on site east
  incoplax.platform.ws_session:
    url: https://platform.example.com
    token: "{{ incoplax_token }}"
    sites: [east]
    match:
      session_type: [websocket]

- name: Dry run - show what logging out a whole domain would close, with a diff
  incoplax.platform.ws_session:
    url: https://platform.example.com
    token: "{{ incoplax_token }}"
    sites: all
    match:
      domain: [contractors.domain]
    protected_users: [svc-monitoring]
  check_mode: true
  diff: true
  register: preview
'''

RETURN = r'''
closed:
  description:
    - Session entries that were open before and are gone after (in check mode, that would be closed).
    - A session listed as both C(http) and C(websocket) appears twice, once per entry.
  returned: always
  type: list
  elements: dict
  sample:
    - {session_id: 16d72c4c-0176-99e7-5545-e0d55e0cd303, login: jdoe, site: central, session_type: http,
       domain: master.domain, user_id: 37eca732-016d-2962-dbfa-e0d55e0cd303, ttl: 40141}
spared:
  description:
    - Entries of the one session of a logged-out user that stayed open because it made the request
      (the account running the module logged itself out). Not an error.
  returned: always
  type: list
  elements: dict
skipped_protected:
  description: Entries matched by O(match) that belong to O(protected_users) and were left open.
  returned: always
  type: list
  elements: dict
failed_targets:
  description: Targets whose request failed, with the error. The task fails when this is not empty.
  returned: always
  type: list
  elements: dict
  contains:
    target:
      description: The session id or user.
      type: str
    type:
      description: V(session_id) or V(user).
      type: str
    error:
      description: What went wrong, with method, path and HTTP status.
      type: str
    status:
      description: HTTP status, or V(null) for a network failure.
      type: int
  sample:
    - {target: jdoe, type: user, status: 500, error: "POST /rest/v1/master/logicalroles/ws/sessions failed: HTTP 500"}
remaining:
  description:
    - Entries of targeted sessions still open after closing (spared ones excepted). With O(wait) the task fails
      when this is not empty.
  returned: always
  type: list
  elements: dict
unverified:
  description:
    - Entries of targets whose closing request was sent and accepted, when listing the sessions afterwards failed,
      so that whether they are closed is unknown. The task fails; run it again to verify.
  returned: when the listing after closing failed
  type: list
  elements: dict
not_open:
  description: Targets (session ids or users) that had no open session on O(sites), so nothing was sent for them.
  returned: always
  type: list
  elements: str
  sample: [51e6cad2-0176-8f8e-a432-e0d55e0cd303]
counts:
  description: Counts of sessions (distinct ids) closed, in total and per site, and of the other outcomes.
  returned: always
  type: dict
  contains:
    total:
      description: Sessions closed (or that would be, in check mode).
      type: int
    entries:
      description: Entries in RV(closed).
      type: int
    by_site:
      description: Sessions closed per site.
      type: dict
    spared:
      description: Sessions in RV(spared).
      type: int
    skipped_protected:
      description: Sessions in RV(skipped_protected).
      type: int
    failed_targets:
      description: Number of RV(failed_targets).
      type: int
  sample: {total: 3, entries: 4, by_site: {central: 2, east: 1}, spared: 0, skipped_protected: 1, failed_targets: 0}
sites:
  description: The O(sites) scope as sent to the API, or V(null) when the API default was used.
  returned: always
  type: raw
  sample: all
'''

from ansible_collections.incoplax.platform.plugins.module_utils._api import IncoplaxApiError
from ansible_collections.incoplax.platform.plugins.module_utils._args import (
    FILTER_KEYS,
    SESSION_TYPES,
    ParameterError,
    filters_from_params,
    normalize_sites,
)
from ansible_collections.incoplax.platform.plugins.module_utils._close import (
    check_session_id,
    counts,
    diff_of,
    execute,
    outcome,
    plan,
    refuse_protected_users,
    settle,
)
from ansible_collections.incoplax.platform.plugins.module_utils._module import IncoplaxModule
from ansible_collections.incoplax.platform.plugins.module_utils._sessions import sort_entries

MATCH_KEYS = FILTER_KEYS + ('site',)


def _names(values, option):
    """Deduplicated non-empty strings, or a ParameterError naming the option."""
    if values is not None and not values:
        raise ParameterError('%s: the list is empty; give at least one value' % option)
    names = []
    for value in values or []:
        if not isinstance(value, str) or value.strip() == '':
            raise ParameterError('%s: %r is not a valid name' % (option, value))
        if value not in names:
            names.append(value)
    return names


def read_targets(params):
    """Validate every option that shapes the work; nothing is sent before this passes."""
    if params['concurrency'] < 1:
        raise ParameterError('concurrency: must be at least 1, got %s' % params['concurrency'])
    if params['max_sessions'] is not None and params['max_sessions'] < 0:
        raise ParameterError('max_sessions: must be 0 or more, got %s' % params['max_sessions'])
    if params['wait_timeout'] < 0:
        raise ParameterError('wait_timeout: must be 0 or more, got %s' % params['wait_timeout'])
    protected = _names(params['protected_users'] or None, 'protected_users')
    targets = dict(sites=normalize_sites(params['sites']), protected=protected)
    if params['domain'] is not None and params['user'] is None:
        raise ParameterError('domain: only used with user; to select sessions by domain use match: {domain: [...]}')
    if params['user'] is not None:
        users = _names(params['user'], 'user')
        if not params['domain'] or not params['domain'].strip():
            raise ParameterError('domain: must not be empty when user is set')
        refuse_protected_users(users, protected)
        targets.update(users=users, domain=params['domain'])
    elif params['session_id'] is not None:
        ids = _names(params['session_id'], 'session_id')
        for session_id in ids:
            check_session_id(session_id)
        targets.update(session_ids=ids)
    else:
        match = filters_from_params(params['match'], MATCH_KEYS, name='match')
        if not match:
            raise ParameterError('match: set at least one of %s; an empty match would close every session'
                                 % ', '.join(MATCH_KEYS))
        targets.update(match=match)
    return targets


def _failure_message(failed_targets, remaining, wait_timeout):
    parts = []
    if failed_targets:
        parts.append('%d target(s) failed: %s' % (len(failed_targets), '; '.join(
            '%s %s: %s' % (t['type'], t['target'], t['error']) for t in failed_targets)))
    if remaining:
        parts.append('%d session(s) still open after %s s: %s' % (
            len({e['session_id'] for e in remaining}), wait_timeout,
            ', '.join(sorted({'%s (%s, %s)' % (e['session_id'], e.get('login'), e.get('site')) for e in remaining}))))
    return '; '.join(parts)


def close_sessions(module):
    params = module.params
    wanted = read_targets(params)
    sites = wanted['sites']
    client = module.client(pool_size=params['concurrency'])
    before = client.list_sessions(sites)
    the_plan = plan(before, session_ids=wanted.get('session_ids'), users=wanted.get('users'),
                    domain=wanted.get('domain'), match=wanted.get('match'), protected=wanted['protected'])
    if params['max_sessions'] is not None and the_plan.session_count > params['max_sessions']:
        raise ParameterError('max_sessions: %d sessions would be closed, more than max_sessions=%d; nothing was '
                             'closed. Narrow the targets or raise max_sessions.'
                             % (the_plan.session_count, params['max_sessions']))
    targets = the_plan.targets
    after = before
    verify_error = None
    if targets and not module.check_mode:
        execute(client, targets, wanted.get('domain'), sites, params['concurrency'])
        try:
            after = settle(client, sites, targets, params['wait'], params['wait_timeout'])
        except IncoplaxApiError as exc:
            # The requests were sent; without a listing nothing can be claimed closed, but what was sent is kept.
            verify_error = exc
    failed_targets = [
        {'target': t.name, 'type': t.kind, 'error': str(t.error), 'status': t.error.status}
        for t in targets if t.error is not None
    ]
    if verify_error is not None:
        sent = [t for t in targets if t.error is None]
        return dict(
            changed=bool(sent), failed=True, closed=[], spared=[], remaining=[], not_open=the_plan.not_open,
            skipped_protected=sort_entries(the_plan.skipped_protected), failed_targets=failed_targets, sites=sites,
            unverified=sort_entries([e for t in sent for e in t.entries]),
            counts=counts([], [], the_plan.skipped_protected, failed_targets),
            msg='%d closing request(s) were sent (%d failed), but listing the sessions afterwards failed, so nothing '
                'is confirmed closed: %s. Run again to verify; it only acts on what is still open.'
                % (len(targets), len(failed_targets), verify_error),
        )
    closed, spared, remaining = outcome(targets, after, module.check_mode)
    result = dict(
        changed=bool(closed),
        closed=sort_entries(closed),
        spared=sort_entries(spared),
        skipped_protected=sort_entries(the_plan.skipped_protected),
        failed_targets=failed_targets,
        remaining=sort_entries(remaining),
        not_open=the_plan.not_open,
        counts=counts(closed, spared, the_plan.skipped_protected, failed_targets),
        sites=sites,
    )
    if module.diff_mode:
        result['diff'] = diff_of(targets, after, module.check_mode, closed)
    failed_ids = {e['session_id'] for t in targets if t.error is not None for e in t.entries}
    waited_for = [e for e in remaining if e['session_id'] not in failed_ids]
    if failed_targets or (waited_for and params['wait']):
        result.update(failed=True, msg=_failure_message(failed_targets, waited_for, params['wait_timeout']))
    else:
        if waited_for:
            module.ansible.warn('wait is false and %d targeted session(s) were still open after closing; see remaining'
                                % len({e['session_id'] for e in waited_for}))
        verb = 'would close' if module.check_mode else 'closed'
        result['msg'] = '%s %d session(s)' % (verb, result['counts']['total'])
    return result


def main():
    module = IncoplaxModule(
        argument_spec=dict(
            state=dict(type='str', default='absent', choices=['absent']),
            session_id=dict(type='list', elements='str'),
            user=dict(type='list', elements='str'),
            domain=dict(type='str'),
            match=dict(type='dict', options=dict(
                login=dict(type='list', elements='str'),
                user_id=dict(type='list', elements='str'),
                domain=dict(type='list', elements='str'),
                session_id=dict(type='list', elements='str'),
                session_type=dict(type='list', elements='str', choices=list(SESSION_TYPES)),
                site=dict(type='list', elements='str'),
            )),
            protected_users=dict(type='list', elements='str', default=[]),
            sites=dict(type='raw'),
            concurrency=dict(type='int', default=8),
            max_sessions=dict(type='int'),
            wait=dict(type='bool', default=True),
            wait_timeout=dict(type='int', default=30),
        ),
        supports_check_mode=True,
        mutually_exclusive=[('session_id', 'user', 'match')],
        required_one_of=[('session_id', 'user', 'match')],
        required_by={'user': 'domain'},
    )
    module.run(close_sessions)


if __name__ == '__main__':
    main()
