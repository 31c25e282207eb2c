#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: ws_session_info
short_description: List open web sessions of the Incoplax platform
version_added: 1.0.0
description:
  - Lists the open web sessions (HTTP and websocket) of the Incoplax platform on the chosen sites, filters
    them, and summarises them by site, login and type.
  - Filters are applied by the module after one request to the API. Between filter options the
    conditions are combined with AND, within one option with OR.
  - This module never changes anything on the platform.
  - Every listed entry is checked against O(sites). An answer with sessions on other sites (a platform or proxy
    that ignores the parameter) fails the module rather than reporting sessions outside the scope.
  - Filter values are trimmed of surrounding whitespace.
author:
  - Incoplax platform team (@incoplax)
options:
  sites:
    description:
      - Which sites of the platform to list.
      - V(all) lists every site, V(current) the site of the node that answers the request.
      - Any other string is one site name; a list gives several site names.
      - If omitted, the API's default applies, which is the current site.
    type: raw
  login:
    description: Only sessions whose login is one of these.
    type: list
    elements: str
  user_id:
    description: Only sessions whose user id is one of these.
    type: list
    elements: str
  domain:
    description: Only sessions in one of these domains.
    type: list
    elements: str
  session_id:
    description: Only sessions with one of these ids.
    type: list
    elements: str
  session_type:
    description: Only sessions of these types.
    type: list
    elements: str
    choices: [http, websocket]
extends_documentation_fragment:
  - incoplax.platform.connection
  - incoplax.platform.attributes
  - incoplax.platform.attributes.info_module
seealso:
  - module: incoplax.platform.ws_session
'''

EXAMPLES = r'''
- name: List the sessions of the current site
  incoplax.platform.ws_session_info:
    url: https://platform.example.com
    token: "{{ incoplax_token }}"
  register: current_sessions

- name: List websocket sessions of two users on every site
  incoplax.platform.ws_session_info:
    url: https://platform.example.com
    token: "{{ incoplax_token }}"
    sites: all
    login:
      - jdoe
      - asmith
    session_type: websocket
  register: ws_sessions

- name: Connection options once for the whole play, credentials from INCOPLAX_* variables
  module_defaults:
    group/incoplax.platform.ws:
      url: https://platform.example.com
      ca_path: /etc/pki/incoplax-ca.pem
  block:
    - name: Count open sessions per site on two sites
      incoplax.platform.ws_session_info:
        sites: [central, east]
      register: listing

    - name: Show the counts
      ansible.builtin.debug:
        var: listing.summary.by_site
'''

RETURN = r'''
sessions:
  description:
    - The open session entries that match the filters, exactly as the API returned them.
    - Entries are not unique by O(session_id); the same session can be listed once as C(http) and once
      as C(websocket).
  returned: success
  type: list
  elements: dict
  contains:
    session_id:
      description: Session id.
      type: str
      sample: 16d72c4c-0176-99e7-5545-e0d55e0cd303
    session_type:
      description: V(http) or V(websocket).
      type: str
      sample: websocket
    login:
      description: Login of the user in the domain.
      type: str
      sample: adminma
    user_id:
      description: Id of the user in the domain.
      type: str
      sample: 37eca732-016d-2962-dbfa-e0d55e0cd303
    domain:
      description: Domain of the session.
      type: str
      sample: master.domain
    site:
      description: Site of the session.
      type: str
      sample: central
    ttl:
      description: Remaining lifetime in seconds.
      type: int
      sample: 40141
    connections:
      description: Active websocket connections. Only in websocket entries.
      type: list
      elements: dict
      returned: when RV(sessions[].session_type=websocket)
      sample:
        - conn_id: 5476d54a-0176-9a16-92a0-e0d55e0cd303
          is_pid_alive: true
          node: ws1@192.168.0.32
          pid: <0.11647.54>
summary:
  description: Counts over RV(sessions).
  returned: success
  type: dict
  contains:
    total:
      description: Number of entries in RV(sessions).
      type: int
      sample: 4
    unique_session_ids:
      description: Number of distinct session ids in RV(sessions).
      type: int
      sample: 3
    by_site:
      description: Number of entries per site.
      type: dict
      sample: {central: 3, east: 1}
    by_login:
      description: Number of entries per login.
      type: dict
      sample: {adminma: 2, jdoe: 2}
    by_type:
      description: Number of entries per session type.
      type: dict
      sample: {http: 3, websocket: 1}
sites:
  description: The O(sites) scope as sent to the API, or V(null) when the API default was used.
  returned: success
  type: raw
  sample: [central, east]
'''

from ansible_collections.incoplax.platform.plugins.module_utils._args import (
    FILTER_KEYS,
    SESSION_TYPES,
    filters_from_params,
    normalize_sites,
    sites_warnings,
)
from ansible_collections.incoplax.platform.plugins.module_utils._module import IncoplaxModule
from ansible_collections.incoplax.platform.plugins.module_utils._sessions import filter_sessions, summarize


def list_sessions(module):
    sites = normalize_sites(module.params['sites'])
    for warning in sites_warnings(module.params['sites']):
        module.warn(warning)
    filters = filters_from_params(module.params, FILTER_KEYS)
    entries = module.client().list_sessions(sites)
    sessions = filter_sessions(entries, filters)
    return dict(changed=False, sessions=sessions, summary=summarize(sessions), sites=sites)


def main():
    module = IncoplaxModule(
        argument_spec=dict(
            sites=dict(type='raw'),
            login=dict(type='list', elements='str'),
            user_id=dict(type='list', elements='str'),
            domain=dict(type='list', elements='str'),
            session_id=dict(type='list', elements='str'),
            session_type=dict(type='list', elements='str', choices=list(SESSION_TYPES)),
        ),
        supports_check_mode=True,
    )
    module.run(list_sessions)


if __name__ == '__main__':
    main()
