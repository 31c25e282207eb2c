# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Argument specs and input validation shared by every module of the collection.

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.incoplax.platform.plugins.module_utils._errors import ParameterError


def set_env_fallback(*names):
    """Like env_fallback, but an empty variable counts as unset.

    AWX sets every environment injector of a credential type in every job, rendering an input left empty as
    an empty string: INCOPLAX_USERNAME='' beside INCOPLAX_TOKEN must not make username "given".
    """
    value = env_fallback(*names)
    if value == '':
        raise AnsibleFallbackNotFound
    return value


CONNECTION_ARGUMENT_SPEC = dict(
    url=dict(type='str', required=True, fallback=(set_env_fallback, ['INCOPLAX_URL'])),
    token=dict(type='str', no_log=True, fallback=(set_env_fallback, ['INCOPLAX_TOKEN'])),
    username=dict(type='str', no_log=False, fallback=(set_env_fallback, ['INCOPLAX_USERNAME'])),
    password=dict(type='str', no_log=True, fallback=(set_env_fallback, ['INCOPLAX_PASSWORD'])),
    caller=dict(type='str', fallback=(set_env_fallback, ['INCOPLAX_CALLER'])),
    validate_certs=dict(type='bool', default=True, fallback=(set_env_fallback, ['INCOPLAX_VALIDATE_CERTS'])),
    ca_path=dict(type='path', fallback=(set_env_fallback, ['INCOPLAX_CA_PATH'])),
    timeout=dict(type='int', default=30),
    retries=dict(type='int', default=3),
    retry_budget=dict(type='int', default=60),
)

CONNECTION_CONSTRAINTS = dict(
    mutually_exclusive=[('token', 'username')],
    required_together=[('username', 'password')],
    required_one_of=[('token', 'username')],
)

FILTER_KEYS = ('login', 'user_id', 'domain', 'session_id', 'session_type')
SESSION_TYPES = ('http', 'websocket')

# ws_session's own options (IncoplaxModule adds the connection options), also validated on the controller by the
# forced_logout_run action, which runs the same close in its own process.
CLOSE_ARGUMENT_SPEC = dict(
    state=dict(type='str', default='absent', choices=['absent']),
    # Elements are raw so that a nested list or a null reaches the module's own check, which refuses it,
    # instead of Ansible's conversion to a string such as "['alice', 'bob']".
    session_id=dict(type='list', elements='raw'),
    user=dict(type='list', elements='raw'),
    domain=dict(type='str'),
    match=dict(type='dict', options=dict(
        login=dict(type='list', elements='raw'),
        user_id=dict(type='list', elements='raw'),
        domain=dict(type='list', elements='raw'),
        session_id=dict(type='list', elements='raw'),
        session_type=dict(type='list', elements='str', choices=list(SESSION_TYPES)),
        site=dict(type='list', elements='raw'),
    )),
    protected_users=dict(type='list', elements='raw', default=[]),
    sites=dict(type='raw'),
    concurrency=dict(type='int', default=8),
    max_sessions=dict(type='int'),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=30),
)

CLOSE_CONSTRAINTS = dict(
    mutually_exclusive=[('session_id', 'user', 'match')],
    required_one_of=[('session_id', 'user', 'match')],
    required_by={'user': 'domain'},
)

SITES_KEYWORDS = ('all', 'current')

SITES_HELP = ("use 'all', 'current', one site name, or a non-empty list of site names, "
              "for example sites: [central, east]")


def _is_clean_name(value):
    return value.strip() == value and value != '' and all(ch.isprintable() for ch in value)


def normalize_sites(value, name='sites'):
    """Turn the ``sites`` option into the JSON value the API expects, or None when omitted.

    ``all`` and ``current`` stay strings; any other single string is one site name and becomes a
    one-element list, so that the API never sees an ambiguous bare name.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if value in SITES_KEYWORDS:
            return value
        if not _is_clean_name(value):
            raise ParameterError('%s: %r is not a usable site name; %s' % (name, value, SITES_HELP))
        return [value]
    if isinstance(value, (list, tuple)):
        if not value:
            raise ParameterError('%s: the list is empty, so it would match no site; %s' % (name, SITES_HELP))
        sites = []
        for item in value:
            if not isinstance(item, str) or not _is_clean_name(item):
                raise ParameterError('%s: list item %r is not a site name; %s' % (name, item, SITES_HELP))
            if item in SITES_KEYWORDS:
                raise ParameterError("%s: %r inside a list would be taken as a site name; write sites: %s "
                                     "(a string, not a list)" % (name, item, item))
            if item not in sites:
                sites.append(item)
        return sites
    raise ParameterError('%s: got a %s (%r); %s' % (name, type(value).__name__, value, SITES_HELP))


def _credential_problem(value):
    """Why a credential cannot be sent as it is, or None. Never includes the value."""
    if value == '':
        return 'is empty'
    if value.strip() != value:
        return ('has leading or trailing whitespace or a line break (a YAML | block or echo adds one); remove it, '
                'for example with | trim')
    if any(not ch.isprintable() and not ch.isspace() for ch in value) or any(ch in value for ch in '\r\n\t\v\f'):
        return ('contains a control character or a line break; check that it was copied correctly (a YAML | block '
                'or echo adds a line break; | trim removes one at either end)')
    return None


def _shown_url(url):
    """``url`` for an error message, with everything between ``://`` and the last ``@`` masked."""
    scheme, separator, rest = url.partition('://')
    if not separator or '@' not in rest:
        return url
    # Up to the last '@': a password may hold '/', '?', '#' or '@' that would end the authority for a parser.
    return scheme + separator + '********@' + rest.rpartition('@')[2]


def check_url(url):
    """Refuse a URL that cannot be requested, naming ``url`` and never showing credentials written into it."""
    url = url or ''
    shown = _shown_url(url)
    if not url.startswith(('http://', 'https://')):
        raise ParameterError('url: %r must start with https:// (or http:// for a lab), for example '
                             'https://platform.example.com' % shown)
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ParameterError('url: %r contains whitespace or a control character (a YAML | block or echo adds a '
                             'line break; remove it, for example with | trim)' % shown)
    try:
        parts = urlsplit(url)
        parts.port  # pylint: disable=pointless-statement
        host = parts.hostname
    except ValueError as exc:
        # Not the exception's text: it quotes the port part, which may be a piece of a password.
        problem = 'an IPv6 address bracket is not closed' if 'IPv6' in str(exc) else 'the port is not a number from 0 to 65535'
        raise ParameterError('url: %r is not a valid URL (%s); write it as https://host[:port], for example '
                             'https://platform.example.com or https://[2001:db8::1]:8443' % (shown, problem))
    if not host:
        raise ParameterError('url: %r has no host name; for example https://platform.example.com' % shown)
    # Any '@' after the scheme, not only in what a parser takes for the host part: a password holding '/' moves the
    # '@' into the path for urlsplit. An '@' that really belongs in a path is written %40.
    if '@' in url.partition('://')[2]:
        raise ParameterError('url: %r holds credentials before the host (user:password@); remove them and give '
                             'them as username and password (or token); an @ in a path is written %%40' % shown)


def check_connection_params(params):
    """Checks the argument spec cannot express; raises ParameterError naming the option, before any request.

    Credentials are checked without ever showing their value.
    """
    if params.get('timeout') is not None and params['timeout'] < 1:
        raise ParameterError('timeout: must be at least 1 second, got %s' % params['timeout'])
    if params.get('retries') is not None and params['retries'] < 0:
        raise ParameterError('retries: must be 0 or more, got %s' % params['retries'])
    if params.get('retry_budget') is not None and params['retry_budget'] < 0:
        raise ParameterError('retry_budget: must be 0 or more seconds, got %s' % params['retry_budget'])
    check_url(params.get('url'))
    for option in ('token', 'username', 'password'):
        value = params.get(option)
        if value is None:
            continue
        problem = _credential_problem(value)
        if problem:
            raise ParameterError('%s: %s' % (option, problem))
    token = params.get('token')
    if token is not None:
        try:
            token.encode('latin-1')
        except UnicodeError:
            raise ParameterError('token: contains characters that cannot be sent in an HTTP header (only latin-1 '
                                 'characters can); check that the token was copied correctly')
    username = params.get('username')
    if username is not None and ':' in username:
        raise ParameterError('username: contains ":", which HTTP basic authentication cannot carry in a user name; '
                             'check the user name, or use a token')
    caller = params.get('caller')
    if caller is not None and not _is_clean_name(caller):
        raise ParameterError('caller: %r is not an account name (empty, or with surrounding whitespace or control '
                             'characters); give the login or user id of the account of these credentials' % caller)


def filters_from_params(params, keys=FILTER_KEYS, name=None):
    """The set filters as {key: list of trimmed names}, ignoring unset ones; refuses anything but non-empty strings."""
    filters = {}
    for key in keys:
        values = (params or {}).get(key)
        if values is None:
            continue
        option = '%s.%s' % (name, key) if name else key
        if not values:
            raise ParameterError('%s: the list is empty, so it would match nothing; remove %s or give values'
                                 % (option, option))
        names = []
        for item in values:
            if not isinstance(item, str) or not item.strip():
                raise ParameterError('%s: %r is not a valid value (expected non-empty strings, in a flat list)'
                                     % (option, item))
            if item.strip() not in names:
                names.append(item.strip())
        if key == 'session_type':
            bad = [item for item in names if item not in SESSION_TYPES]
            if bad:
                raise ParameterError('%s: %s not one of %s' % (option, ', '.join(bad), ', '.join(SESSION_TYPES)))
        filters[key] = names
    return filters


def sites_warnings(value, name='sites'):
    """Warnings for a site name that is probably not what the human meant: it would match no site."""
    names = [value] if isinstance(value, str) else [item for item in value or () if isinstance(item, str)]
    warnings = []
    for site in names:
        if site in SITES_KEYWORDS:
            continue
        if site.lower() in SITES_KEYWORDS:
            warnings.append("%s: %r is taken as a site name, not the keyword %r (keywords are lower case)"
                            % (name, site, site.lower()))
        elif site.lstrip().startswith(('[', '{', '"')):
            warnings.append('%s: %r is taken as one site name, but it looks like JSON; give a YAML list instead, '
                            'for example sites: [east, west]' % (name, site))
        elif ',' in site:
            warnings.append('%s: %r is taken as one site name containing a comma; for several sites give a list, '
                            'for example sites: [%s]' % (name, site, ', '.join(part.strip() for part in site.split(','))))
    return warnings
