# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Argument specs and input validation shared by every module of the collection.

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
)

CONNECTION_CONSTRAINTS = dict(
    mutually_exclusive=[('token', 'username')],
    required_together=[('username', 'password')],
    required_one_of=[('token', 'username')],
)

SITES_KEYWORDS = ('all', 'current')

SITES_HELP = ("use 'all', 'current', one site name, or a non-empty list of site names, "
              "for example sites: [central, east]")

FILTER_KEYS = ('login', 'user_id', 'domain', 'session_id', 'session_type')
SESSION_TYPES = ('http', 'websocket')


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


def check_connection_params(params):
    """Checks the argument spec cannot express; raises ParameterError naming the option."""
    if params['timeout'] is not None and params['timeout'] < 1:
        raise ParameterError('timeout: must be at least 1 second, got %s' % params['timeout'])
    if params['retries'] is not None and params['retries'] < 0:
        raise ParameterError('retries: must be 0 or more, got %s' % params['retries'])
    url = params['url'] or ''
    if not url.startswith(('http://', 'https://')):
        raise ParameterError('url: %r must start with https:// (or http:// for a lab), for example '
                             'https://platform.example.com' % url)


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
