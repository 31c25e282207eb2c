#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: ws_session
short_description: Close web sessions of the Incoplax platform, by id, by user, or by match
version_added: 1.0.0
description:
  - Closes open web sessions of the Incoplax platform and reports exactly what was closed.
  - "The module lists the open sessions first (one request with O(sites)), acts only on targets that have
    open sessions, then lists them again: a session counts as closed only if it was open before and a listing
    after the request no longer shows it. Running it twice changes nothing the second time."
  - Every entry of every listing is checked against O(sites). A platform (or a proxy) that answers with
    sessions on other sites is not honouring the scope, and a logout or C(DELETE) would then act outside it
    too, so the module fails before sending any C(POST) or C(DELETE).
  - Each C(DELETE) goes to exactly C(<api>/sessions/<id>), the id encoded as one path segment, and carries the
    narrowest scope that covers the entries it closes (their sites, within O(sites)).
  - Targets are closed concurrently, O(concurrency) requests at a time. Every target is tried even if some
    fail; the task then fails, lists each failed target with its error, and still reports what was closed.
  - Accounts in O(protected_users) are never touched.
  - Every name in O(user), O(session_id), O(protected_users) and O(match) is trimmed of surrounding whitespace
    (C("alice, bob") becomes V(alice) and V(bob)); an element that is not a non-empty string (a nested list,
    a null, a number, a dict) is refused before anything is sent.
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
      - An id that cannot be sent as one path segment (empty, V(.) or V(..), longer than 1024 characters, or with
        whitespace or control characters) is refused before anything is sent, and reported in RV(failed_targets).
      - Mutually exclusive with O(user) and O(match).
    type: list
    elements: raw
  user:
    description:
      - Users (login or user id) whose sessions in O(domain) are all closed, with one logout C(POST) per user.
      - The platform spares the session making the request. If the account of the credentials (O(caller)) is one
        of the users, one session of it may stay open and is reported in RV(spared). For every other user, a
        session still listed after O(wait_timeout) is in RV(remaining) and fails the task.
      - A name that is the login of one account and the user id of another designates two accounts, which one
        logout would close alike; it is refused before anything is closed. Target one with O(match).
      - Requires O(domain). Mutually exclusive with O(session_id) and O(match).
    type: list
    elements: raw
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
        elements: raw
      user_id:
        description: User ids.
        type: list
        elements: raw
      domain:
        description: Domains.
        type: list
        elements: raw
      session_id:
        description: Session ids.
        type: list
        elements: raw
      session_type:
        description: Session types.
        type: list
        elements: str
        choices: [http, websocket]
      site:
        description:
          - Sites, matched against the listed sessions within O(sites).
          - Each C(DELETE) carries only the matched sites of its session, so that an id listed on several sites
            is closed only on these.
        type: list
        elements: raw
  protected_users:
    description:
      - Logins or user ids whose sessions this module never closes.
      - An account given by login is also recognised by its user id, and the reverse, from the session list.
      - Names are compared after Unicode normalisation (NFC) and case folding, so V(ADMIN) protects V(admin).
        A protected name that matches no account in the listing gets a warning (it may be misspelled).
      - Naming a protected account in O(user), or one of its sessions in O(session_id), fails before anything
        is closed. Under O(match) their sessions are left open and reported in RV(skipped_protected).
    type: list
    elements: raw
    default: []
  sites:
    description:
      - Which sites to act on, as in M(incoplax.platform.ws_session_info) - V(all), V(current), one site name,
        or a list of site names. Omitted means the API default, the current site.
      - The same value is sent with the listing and every C(POST); a C(DELETE) carries the sites of the entries
        it closes, within this scope.
      - A single string that looks like a keyword in another case (V(ALL)), JSON (C('["east"]')) or a comma list
        (V(east,west)) is taken as one site name, with a warning.
    type: raw
  concurrency:
    description:
      - How many target requests are in flight at once.
    type: int
    default: 8
  max_sessions:
    description:
      - If more sessions than this would be closed, fail before closing anything.
      - Unset means no limit; V(0) refuses any session.
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
      - Seconds to wait with O(wait). Sessions still open then (other than a spared one of O(caller)) make the
        task fail.
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
  - A C(DELETE) answered with 404 for a session that a later listing no longer shows was gone before it could be
    closed; it is reported in RV(already_gone), neither closed nor an error. A 404 for a session that is still
    listed is an error (RV(failed_targets)) and the session is in RV(remaining).
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
    - Session entries that were listed before the request and that a listing after it no longer shows
      (in check mode, that would be closed).
    - A session listed as both C(http) and C(websocket) appears twice, once per entry.
  returned: always
  type: list
  elements: dict
  sample:
    - {session_id: 16d72c4c-0176-99e7-5545-e0d55e0cd303, login: jdoe, site: central, session_type: http,
       domain: master.domain, user_id: 37eca732-016d-2962-dbfa-e0d55e0cd303, ttl: 40141}
spared:
  description:
    - Entries of the one session of the O(caller) account that stayed open after its own logout, because it
      made the request. Not an error. Never holds a session of any other account.
  returned: always
  type: list
  elements: dict
already_gone:
  description:
    - Entries of targets whose C(DELETE) answered 404 and that a later listing no longer shows - gone before this
      run could close them. Not counted as closed.
  returned: always
  type: list
  elements: dict
skipped_protected:
  description: Entries matched by O(match) that belong to O(protected_users) and were left open.
  returned: always
  type: list
  elements: dict
failed_targets:
  description:
    - Targets whose request failed or was not sent (an id that cannot be one path segment, a 404 for a session
      still listed, a spent retry budget), each with the reason. The task fails when this is not empty.
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
    - Entries of targeted sessions still listed after closing (spared ones excepted), including those of failed
      targets and of a C(DELETE) answered 404 while still listed. With O(wait) the task fails when this is not empty.
    - When a guard refuses the run (protected account, ambiguous name, O(max_sessions)), nothing is sent and this
      holds every targeted entry, still open.
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
  description:
    - Targets (session ids or users) that had no open session on O(sites), so nothing was sent for them.
      A warning names them (a typo, or an account already logged out).
  returned: always
  type: list
  elements: str
  sample: [51e6cad2-0176-8f8e-a432-e0d55e0cd303]
counts:
  description:
    - Counts of sessions (distinct ids; an id listed as C(http) and C(websocket) is one session) per outcome,
      and of API entries in RV(closed).
  returned: always
  type: dict
  contains:
    before:
      description: Sessions of the targets that were open before acting.
      type: int
    closed:
      description: Sessions closed (or that would be, in check mode).
      type: int
    total:
      description: The same as RV(counts.closed), kept for compatibility.
      type: int
    entries:
      description: API entries in RV(closed).
      type: int
    already_gone:
      description: Sessions in RV(already_gone).
      type: int
    remaining:
      description: Sessions in RV(remaining).
      type: int
    unverified:
      description: Sessions in RV(unverified).
      type: int
    not_open:
      description: Targets in RV(not_open).
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
  sample: {before: 3, closed: 3, total: 3, entries: 4, by_site: {central: 2, east: 1}, already_gone: 0, remaining: 0,
           spared: 0, unverified: 0, skipped_protected: 1, not_open: 0, failed_targets: 0}
sites:
  description: The O(sites) scope as sent with the listing, or V(null) when the API default was used.
  returned: always
  type: raw
  sample: all
caller:
  description: The account the credentials belong to (O(caller), else O(username)), or V(null) when unknown.
  returned: always
  type: str
'''

from ansible_collections.incoplax.platform.plugins.module_utils._args import CLOSE_ARGUMENT_SPEC, CLOSE_CONSTRAINTS
from ansible_collections.incoplax.platform.plugins.module_utils._close import close_sessions
from ansible_collections.incoplax.platform.plugins.module_utils._module import IncoplaxModule


def main():
    module = IncoplaxModule(argument_spec=CLOSE_ARGUMENT_SPEC, supports_check_mode=True, **CLOSE_CONSTRAINTS)
    module.run(close_sessions)


if __name__ == '__main__':
    main()
