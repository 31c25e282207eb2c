# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cast of the tests: domains, sites, websocket connections and the one builder of vendor session entries."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SESSIONS_PATH = '/rest/v1/master/logicalroles/ws/sessions'
MASTER = 'master.domain'
BRANCH = 'branch.domain'
SITES = ['central', 'east', 'west']
# The user ids of the cast (their session ids are each test file's own).
ADMIN_ID = 'ad000000-0176-99e7-5545-e0d55e0cd303'
ALICE_ID = 'a11ce000-0176-99e7-5545-e0d55e0cd303'
ALICE_BRANCH_ID = 'a11ce000-0176-99e7-5545-b0b0b0b0b0b0'
BOB_ID = 'b0b00000-0176-99e7-5545-e0d55e0cd303'
CAROL_ID = 'ca401000-0176-99e7-5545-e0d55e0cd303'
GUARD_ID = '9a4d0000-0176-99e7-5545-e0d55e0cd303'
ALIVE = {'conn_id': '5476d54a-0176-9a16-92a0-e0d55e0cd301', 'is_pid_alive': True, 'node': 'ws1@192.168.0.32',
         'pid': '<0.11647.54>'}
DEAD = {'conn_id': '5476d54a-0176-9a16-92a0-e0d55e0cd302', 'is_pid_alive': False, 'node': 'ws2@192.168.0.33',
        'pid': '<0.204.7>'}


class _Omit:
    def __repr__(self):
        return 'OMIT'


# A field given as OMIT is left out of the entry (the unit tests of code that must not need it).
OMIT = _Omit()
_DERIVED = object()


def entry(session_id, login, site='central', session_type='http', domain=MASTER, user_id=_DERIVED, ttl=3600,
          connections=None):
    """One session entry as the vendor lists it; ``user_id`` defaults to ``uid-<login>``
    (None stays None).

    ``connections`` (websocket entries) is added only when given; a field given as ``OMIT`` is left out.
    """
    item = {'session_id': session_id, 'session_type': session_type, 'site': site, 'domain': domain, 'login': login,
            'user_id': 'uid-%s' % login if user_id is _DERIVED else user_id, 'ttl': ttl}
    if connections is not None:
        item['connections'] = connections
    return {key: value for key, value in item.items() if value is not OMIT}


def fixture(sessions, current_site='central', sites=None, tokens=None):
    """An emulator data set (``/_emulator/load``, ``--fixture``); ``tokens``: {token: identity} when given."""
    data = {'current_site': current_site, 'sites': list(sites or SITES), 'sessions': list(sessions)}
    if tokens:
        data['credentials'] = {'tokens': dict(tokens)}
    return data


def identity(login, user_id, session_id, domain=MASTER):
    """Who a token logs in as: the caller's login, user id, domain and own session."""
    return {'login': login, 'user_id': user_id, 'domain': domain, 'session_id': session_id}


def keys(entries):
    """Sorted (session_id, session_type) of entries."""
    return sorted((item['session_id'], item['session_type']) for item in entries)


def ids(entries):
    """Sorted distinct session ids of entries."""
    return sorted({item['session_id'] for item in entries})
