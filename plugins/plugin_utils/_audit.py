# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Findings over a session listing, and a CSV export of it: the session_audit role's filters, and the flags of the
ws_sessions event source, so that an audit and a rulebook agree on what is wrong.

Documentation: plugins/filter/session_findings.yml and sessions_to_csv.yml. Both make one
pass over the entries (plus sorting of the findings), so a listing of 100,000 entries takes well under a
second; the same work in Jinja loops would take minutes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# dict first: isinstance() against the Mapping ABC alone is slow, and nearly every value is a plain dict.
MAPPINGS = (dict, Mapping)
SEQUENCES = (list, tuple)
CSV_HEADER = ('session_id', 'session_type', 'login', 'user_id', 'domain', 'site', 'ttl', 'connections', 'dead_connections')


def _text(value):
    """A sort key part: None sorts first, everything else as text."""
    return '' if value is None else str(value)


def _entries(sessions, filter_name):
    """The session entries, checked to be a list of dicts."""
    if not isinstance(sessions, SEQUENCES):
        raise AnsibleFilterError('%s: expected a list of session entries (the "sessions" returned by incoplax.platform.ws_session_info), got %s'
                                 % (filter_name, type(sessions).__name__))
    for index, entry in enumerate(sessions):
        if not isinstance(entry, MAPPINGS):
            raise AnsibleFilterError('%s: session entry %d is a %s, not a dict' % (filter_name, index, type(entry).__name__))
    return sessions


def _connections(entry, index, filter_name):
    """The connections of one entry: the API lists them on websocket entries only."""
    connections = entry.get('connections')
    if connections is None:
        return []
    if not isinstance(connections, SEQUENCES):
        raise AnsibleFilterError('%s: connections of session entry %d must be a list, got %s'
                                 % (filter_name, index, type(connections).__name__))
    for position, connection in enumerate(connections):
        if not isinstance(connection, MAPPINGS):
            raise AnsibleFilterError('%s: connection %d of session entry %d is a %s, not a dict'
                                     % (filter_name, position, index, type(connection).__name__))
    return connections


def _is_dead(connection):
    """True only when the API says the connection's process is gone; a missing flag is not a finding."""
    alive = connection.get('is_pid_alive')
    return alive is False or (isinstance(alive, str) and alive.strip().lower() == 'false')


def _limit(value):
    if isinstance(value, bool):
        raise AnsibleFilterError('session_findings: max_sessions_per_user must be an integer, got a boolean')
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError('session_findings: max_sessions_per_user must be an integer, got %r' % (value,))
    if isinstance(value, float) and value != limit:
        raise AnsibleFilterError('session_findings: max_sessions_per_user must be an integer, got %r' % (value,))
    if limit < 0:
        raise AnsibleFilterError('session_findings: max_sessions_per_user must be 0 (no limit) or more, got %d' % limit)
    return limit


def _names(value):
    if value is None:
        return frozenset()
    if not isinstance(value, SEQUENCES + (set, frozenset)):
        raise AnsibleFilterError('session_findings: privileged_users must be a list of logins or user ids, got %s' % type(value).__name__)
    return frozenset(str(name) for name in value if name is not None and str(name) != '')


def session_findings(sessions, max_sessions_per_user=5, privileged_users=None):
    """Audit findings over session entries, in linear time. See session_findings.yml."""
    entries = _entries(sessions, 'session_findings')
    limit = _limit(max_sessions_per_user)
    privileged = _names(privileged_users)

    users = {}
    session_ids = set()
    dead = []
    privileged_sessions = []
    for index, entry in enumerate(entries):
        domain, login, user_id = entry.get('domain'), entry.get('login'), entry.get('user_id')
        session_id, site = entry.get('session_id'), entry.get('site')
        session_ids.add(session_id)
        key = (domain, user_id if user_id not in (None, '') else login)
        user = users.get(key)
        if user is None:
            user = users[key] = {'domain': domain, 'login': login, 'user_id': user_id, 'ids': set(), 'sites': set()}
        elif user['login'] in (None, '') and login not in (None, ''):
            user['login'] = login
        user['ids'].add(session_id)
        if site is not None:
            user['sites'].add(site)
        for connection in _connections(entry, index, 'session_findings'):
            if _is_dead(connection):
                dead.append({'session_id': session_id, 'login': login, 'domain': domain, 'site': site,
                             'conn_id': connection.get('conn_id'), 'node': connection.get('node'), 'pid': connection.get('pid')})
        if privileged and (login in privileged or user_id in privileged):
            privileged_sessions.append({'session_id': session_id, 'session_type': entry.get('session_type'), 'login': login,
                                        'user_id': user_id, 'domain': domain, 'site': site})

    over_limit = []
    multi_site = []
    for user in users.values():
        sites = sorted(user['sites'], key=_text)
        if limit and len(user['ids']) > limit:
            over_limit.append({'domain': user['domain'], 'login': user['login'], 'user_id': user['user_id'],
                               'sessions': len(user['ids']), 'sites': sites})
        if len(sites) > 1:
            multi_site.append({'domain': user['domain'], 'login': user['login'], 'user_id': user['user_id'], 'sites': sites})

    def who(item):
        return (_text(item['domain']), _text(item['login']), _text(item['user_id']))

    over_limit.sort(key=lambda item: (-item['sessions'],) + who(item))
    multi_site.sort(key=lambda item: (-len(item['sites']),) + who(item))
    dead.sort(key=lambda item: tuple(_text(item[field]) for field in ('domain', 'site', 'login', 'session_id', 'conn_id', 'pid')))
    privileged_sessions.sort(key=lambda item: tuple(_text(item[field]) for field in ('domain', 'login', 'site', 'session_id', 'session_type')))
    return {
        'users_over_limit': over_limit,
        'multi_site_users': multi_site,
        'dead_websocket_connections': dead,
        'privileged_sessions': privileged_sessions,
        'counts': {
            'users_over_limit': len(over_limit),
            'multi_site_users': len(multi_site),
            'dead_websocket_connections': len(dead),
            'privileged_sessions': len(privileged_sessions),
            'sessions': len(entries),
            'unique_sessions': len(session_ids),
            'users': len(users),
        },
    }


def _cell(value):
    return '' if value is None else value


def sessions_to_csv(sessions):
    """One CSV row per session entry, with a header. See sessions_to_csv.yml."""
    entries = _entries(sessions, 'sessions_to_csv')
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(CSV_HEADER)
    for index, entry in enumerate(entries):
        connections = _connections(entry, index, 'sessions_to_csv')
        writer.writerow([_cell(entry.get(field)) for field in CSV_HEADER[:7]]
                        + [len(connections), sum(1 for connection in connections if _is_dead(connection))])
    return buffer.getvalue()
