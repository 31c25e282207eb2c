# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Closing sessions, what was asked: the options read and checked, and who is who. No I/O here.

- every name a human typed is trimmed and type-checked before anything is sent (``clean_names``);
- a protected account is recognised whatever its case, normalisation or the name it is given by
  (``Protection``), and a name that designates two accounts is refused (``ambiguity``).

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import unicodedata

from ansible_collections.incoplax.platform.plugins.module_utils._args import (
    FILTER_KEYS,
    filters_from_params,
    normalize_sites,
    sites_warnings,
)
from ansible_collections.incoplax.platform.plugins.module_utils._errors import ParameterError
from ansible_collections.incoplax.platform.plugins.module_utils._sessions import session_id_problem, text_field

MATCH_KEYS = FILTER_KEYS + ('site',)
SESSION_TARGET = 'session_id'
USER_TARGET = 'user'
ID_HELP = 'give ids exactly as ws_session_info lists them'


def clean_names(values, option):
    """``values`` trimmed and deduplicated, or a ParameterError naming ``option`` and the fix.

    Ansible splits ``"a, b"`` into ``['a', ' b']`` and templating ``["{{ users }}"]`` gives a nested list:
    only non-empty strings are names, and surrounding whitespace is never part of one.
    """
    if values is None:
        return None
    if not values:
        raise ParameterError('%s: the list is empty; give at least one value' % option)
    names = []
    for value in values:
        if not isinstance(value, str):
            raise ParameterError('%s: %r is a %s, not a name; give a flat list of strings (a list inside the list '
                                 'often comes from writing ["{{ var }}"] for a list variable: write "{{ var }}")'
                                 % (option, value, 'null' if value is None else type(value).__name__))
        name = value.strip()
        if not name:
            raise ParameterError('%s: %r is empty; remove it' % (option, value))
        if name not in names:
            names.append(name)
    return names


def name_key(name):
    """How protection compares names: NFC, case folded, NFC again (folding can undo the composition), so that it
    errs on the safe side."""
    return unicodedata.normalize('NFC', unicodedata.normalize('NFC', name).casefold())


def read_request(params):
    """Validate every option that shapes the work; nothing is sent before this passes."""
    if params['concurrency'] < 1:
        raise ParameterError('concurrency: must be at least 1, got %s' % params['concurrency'])
    if params['max_sessions'] is not None and params['max_sessions'] < 0:
        raise ParameterError('max_sessions: must be 0 or more (0 refuses any session), got %s' % params['max_sessions'])
    if params['wait_timeout'] < 0:
        raise ParameterError('wait_timeout: must be 0 or more, got %s' % params['wait_timeout'])
    request = dict(sites=normalize_sites(params['sites']), warnings=sites_warnings(params['sites']),
                   protected=clean_names(params['protected_users'] or None, 'protected_users') or [],
                   users=None, domain=None, session_ids=None, match=None)
    if params['user'] is None and params['session_id'] is None and params['match'] is None:
        raise ParameterError('set one of session_id, user or match; they are all null here (a variable that '
                             'expanded to nothing?), so there is nothing to close')
    if params['user'] is not None:
        request['users'] = clean_names(params['user'], 'user')
        domain = (params['domain'] or '').strip()
        if not domain:
            raise ParameterError('domain: must be set and not empty when user is set, for example domain: master.domain')
        request['domain'] = domain
    elif params['domain'] is not None:
        raise ParameterError('domain: only used with user, and user is not set (null?); give the accounts in user, '
                             'or select sessions by domain with match: {domain: [...]}')
    elif params['session_id'] is not None:
        request['session_ids'] = clean_names(params['session_id'], 'session_id')
    else:
        match = filters_from_params(params['match'], MATCH_KEYS, name='match')
        if not match:
            raise ParameterError('match: set at least one of %s; an empty match would close every session'
                                 % ', '.join(MATCH_KEYS))
        request['match'] = match
    return request


def refuse_bad_session_ids(session_ids):
    """The given ids that cannot be sent, as failed targets (nothing is sent when there is one)."""
    return [failed_target(session_id, SESSION_TARGET, 'not sent: %s; %s' % (problem, ID_HELP))
            for session_id in session_ids or () for problem in (session_id_problem(session_id),) if problem]


def failed_target(name, kind, error, status=None):
    return {'target': name, 'type': kind, 'error': error, 'status': status}


class Protection:
    """The protected accounts, recognised by login or user id, case and Unicode normalisation aside.

    The session list is the only place that links a login to its user id, so an account protected by
    one name is recognised when named by the other.
    """

    def __init__(self, names, listing):
        self.names = list(names)
        self.keys = {name_key(name) for name in names}
        found = set()
        for entry in listing:
            login, user_id = text_field(entry, 'login'), text_field(entry, 'user_id')
            hit = [value for value in (login, user_id) if value is not None and name_key(value) in self.keys]
            if hit:
                found.update(name_key(value) for value in hit)
                self.keys.update(name_key(value) for value in (login, user_id) if value is not None)
        self.unmatched = [name for name in self.names if name_key(name) not in found]

    def covers(self, entry):
        return any(value is not None and name_key(value) in self.keys
                   for value in (text_field(entry, 'login'), text_field(entry, 'user_id')))

    def covers_name(self, name):
        return name_key(name) in self.keys


def accounts_of(entries):
    """The distinct accounts, as (login, user_id), that ``entries`` belong to."""
    return sorted({(str(text_field(e, 'login')), str(text_field(e, 'user_id'))) for e in entries})


def ambiguity(user, domain, accounts):
    """Why a name that designates several accounts (the login of one, the user id of another) is refused."""
    return ('user: %r designates %d accounts in %s: %s; a logout would close the sessions of all of them. Target '
            'one with match: {login: [...], domain: [%s]} or match: {user_id: [...], domain: [%s]}'
            % (user, len(accounts), domain, ', '.join('login %s (user id %s)' % account for account in accounts),
               domain, domain))
