# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure functions over session lists: filtering and summaries. No I/O here.

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import Counter

MAX_SESSION_ID_LENGTH = 1024


def text_field(entry, key):
    """The field as text, or None when absent or of another type.

    The API documents these fields as strings; an answer with a list or an object there must make the entry
    match nothing rather than crash a set lookup.
    """
    value = entry.get(key)
    return value if isinstance(value, str) else None


def filter_sessions(entries, filters):
    """Entries matching every set filter (AND between keys, OR within a key), in linear time."""
    wanted = [(key, frozenset(values)) for key, values in filters.items() if values]
    if not wanted:
        return list(entries)
    return [entry for entry in entries if all(text_field(entry, key) in values for key, values in wanted)]


def summarize(entries):
    """Counts a responder reads first. Counts are of entries; an id listed as http and websocket counts twice."""
    by_site = Counter()
    by_login = Counter()
    by_type = Counter()
    ids = set()
    for entry in entries:
        by_site[str(entry.get('site'))] += 1
        by_login[str(entry.get('login'))] += 1
        by_type[str(entry.get('session_type'))] += 1
        ids.add(entry.get('session_id'))
    return {
        'total': len(entries),
        'unique_session_ids': len(ids),
        'by_site': dict(sorted(by_site.items())),
        'by_login': dict(sorted(by_login.items())),
        'by_type': dict(sorted(by_type.items())),
    }


def session_key(entry):
    """What the diff and the reports show of a session entry."""
    return {key: entry.get(key) for key in ('session_id', 'login', 'site', 'session_type')}


def sort_entries(entries):
    return sorted(entries, key=lambda e: (str(e.get('site')), str(e.get('login')), str(e.get('session_id')),
                                          str(e.get('session_type'))))


def scope_violation(entries, sites):
    """Why the listing ``entries`` cannot be the answer for the scope ``sites``, or None when it can.

    The vendor says its parameters "may not be available": a platform or proxy that drops ``sites`` answers
    for other sites, and a logout or DELETE it receives would then act outside the scope too.
    """
    if sites == 'all':
        return None
    listed = Counter(text_field(entry, 'site') for entry in entries)
    if isinstance(sites, list):
        outside = {site: count for site, count in listed.items() if site not in sites}
        if not outside:
            return None
        wanted = ', '.join(sites)
    else:
        if len(listed) <= 1:
            return None
        outside = dict(listed)
        wanted = 'the current site (one site)'
    return ('the platform answered %d session entries on sites outside the requested scope %s: %s. It is not '
            'honouring sites, so nothing was sent: a logout or DELETE would act outside the scope too. Check for a '
            'proxy that drops the query string or the body field, or use sites: all with match: {site: [...]}'
            % (sum(outside.values()), wanted,
               ', '.join('%s (%d)' % (site if site is not None else 'no site', count)
                         for site, count in sorted(outside.items(), key=lambda item: str(item[0])))))


def identities_of(entries, names):
    """Every login and user id that ``names`` designate, learnt from the listed sessions.

    A protected account given by login must be recognised when targeted by user id and the reverse:
    the session list is the only place that links the two.
    """
    names = set(names)
    known = set(names)
    for entry in entries:
        login, user_id = text_field(entry, 'login'), text_field(entry, 'user_id')
        if login in names or user_id in names:
            known.update(value for value in (login, user_id) if value)
    return known


def belongs_to(entry, identities):
    return text_field(entry, 'login') in identities or text_field(entry, 'user_id') in identities


def index_by_user(entries):
    """Entries keyed by (domain, login) and (domain, user_id), so each user is found in constant time."""
    index = {}
    for entry in entries:
        domain = text_field(entry, 'domain')
        login, user_id = text_field(entry, 'login'), text_field(entry, 'user_id')
        for name in (login, user_id) if login != user_id else (login,):
            if name is not None:
                index.setdefault((domain, name), []).append(entry)
    return index


def group_by_id(entries):
    """Entries grouped by session id, in first-seen order: one session may be listed twice (http, websocket)."""
    groups = {}
    for entry in entries:
        groups.setdefault(entry['session_id'], []).append(entry)
    return groups


def still_open(planned, after_ids):
    """Entries of ``planned`` whose session id is still listed."""
    return [entry for entry in planned if entry['session_id'] in after_ids]


def lone_survivor(planned_user_entries, after_ids):
    """The one session of a logged-out user that may legitimately stay open, or None.

    The logout POST spares the session making the request. So after a user logout, exactly one session
    id of that user may remain: the caller's own, when the caller is that user. Two or more remaining ids
    cannot all be the caller's, so they are failures, not survivors.
    """
    remaining_ids = {entry['session_id'] for entry in planned_user_entries if entry['session_id'] in after_ids}
    if len(remaining_ids) == 1:
        return remaining_ids.pop()
    return None


def count_by_site(entries):
    """Sessions (distinct ids, an http+websocket pair counting once) per site."""
    per_site = {}
    for entry in entries:
        per_site.setdefault(str(entry.get('site')), set()).add(entry['session_id'])
    return {site: len(ids) for site, ids in sorted(per_site.items())}


def session_id_problem(session_id):
    """Why ``session_id`` cannot be sent as exactly one path segment of a session, or None when it can."""
    if not isinstance(session_id, str) or session_id in ('', '.', '..'):
        return '%r cannot be sent as one path segment (the HTTP stack would resolve it to another path)' % (session_id,)
    if len(session_id) > MAX_SESSION_ID_LENGTH:
        return 'an id of %d characters is longer than %d' % (len(session_id), MAX_SESSION_ID_LENGTH)
    if any(ch.isspace() or not ch.isprintable() for ch in session_id):
        return '%r contains whitespace or control characters' % (session_id,)
    return None
