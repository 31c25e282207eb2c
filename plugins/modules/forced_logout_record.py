#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: forced_logout_record
short_description: Assemble the forced_logout role's result and write its evidence, on the controller
version_added: 0.1.0
description:
  - The last step of the P(incoplax.platform.forced_logout#role) role, as one action on the controller. It reads the
    registered results of the role's M(incoplax.platform.ws_session) tasks, builds the C(forced_logout_result)
    fact exactly as the P(incoplax.platform.forced_logout_report#filter) filter does, and, with O(report_dir),
    writes the JSON and Markdown evidence exactly as the P(incoplax.platform.forced_logout_evidence#filter) filter
    renders them.
  - The registered results are read from the variables named in O(close), O(verify), O(last_sweep) and O(swept),
    as they are stored, instead of being passed as templated arguments. A containment of a thousand accounts holds
    tens of thousands of session entries, which ansible-core 2.19 and later would otherwise template one by one.
  - The action sets the facts C(forced_logout_result) and, with O(report_dir), C(forced_logout_evidence_files)
    itself, with the precedence of M(ansible.builtin.set_fact); this needs ansible-core 2.21 or later. Before
    2.21 only M(ansible.builtin.set_fact) can set such facts, so use O(return_facts=true) there and set the facts
    it returns in RV(facts).
  - Evidence files are records of the run, not state. They are written in check mode too, and never reported as
    a change.
author:
  - Incoplax platform team (@incoplax)
options:
  close:
    description: Name of the variable holding the registered result of the first M(incoplax.platform.ws_session) pass.
    type: str
    required: true
  verify:
    description:
      - Name of the variable holding the registered result of the verification (M(incoplax.platform.ws_session) in
        check mode after the passes). An empty dict when the verification did not run.
    type: str
    required: true
  last_sweep:
    description: Name of the variable holding the registered result of the last sweep pass, an empty dict if none ran.
    type: str
    required: true
  swept:
    description: Name of the variable holding the list of session entries closed by the sweep passes.
    type: str
    required: true
  users:
    description: The targeted logins or user ids.
    type: list
    elements: str
    required: true
  domain:
    description: Domain of the targets.
    type: str
    required: true
  sites:
    description: The scope asked for; the first pass's RV(incoplax.platform.ws_session#module:sites) wins when present.
    type: raw
  ticket:
    description: Incident reference recorded in the result.
    type: str
  check_mode:
    description: Whether nothing was closed (check mode, or the role's plan mode).
    type: bool
    default: false
  started_at:
    description: UTC start time of the run.
    type: str
  finished_at:
    description: UTC end time of the run.
    type: str
  protected_users:
    description: Accounts that were never touched.
    type: list
    elements: str
    default: []
  passes:
    description: Number of passes asked for.
    type: int
    default: 1
  failure:
    description: What failed (the failed task and its message), or V(null).
    type: str
  report_dir:
    description:
      - Directory of the evidence files on the controller. Created (mode C(0750)) if missing. When omitted or
        empty, no file is written and C(forced_logout_evidence_files) is not set.
    type: str
  report_name:
    description: Evidence file name without extension. Required with O(report_dir).
    type: str
  cluster:
    description: Name of the cluster shown in the Markdown evidence.
    type: str
  return_facts:
    description:
      - V(true) returns the facts in RV(facts) instead of setting them.
      - With V(false) on ansible-core before 2.21, the action fails before writing anything.
    type: bool
    default: false
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  async:
    description: Supports being used with the C(async) keyword.
    support: none
  bypass_host_loop:
    description: Forces a 'global' task that does not execute per host.
    support: none
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
    details:
      - Never changes the platform. The evidence is written in check mode too, and never counts as a change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
notes:
  - Runs on the controller and writes the evidence there, as the user running Ansible.
seealso:
  - plugin: incoplax.platform.forced_logout_report
    plugin_type: filter
  - plugin: incoplax.platform.forced_logout_evidence
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Assemble the result of a forced logout and write the evidence
  incoplax.platform.forced_logout_record:
    close: close_result
    verify: verify_result
    last_sweep: last_sweep_result
    swept: swept_entries
    users: [jdoe]
    domain: master.domain
    sites: all
    ticket: INC-1234
    check_mode: "{{ ansible_check_mode }}"
    report_dir: /var/lib/incidents/INC-1234
    report_name: INC-1234
    cluster: "{{ inventory_hostname }}"
'''

RETURN = r'''
ansible_facts:
  description: The facts set.
  returned: when O(return_facts=false)
  type: dict
  contains:
    forced_logout_result:
      description:
        - The result, with the keys documented for the P(incoplax.platform.forced_logout_report#filter) filter.
      type: dict
    forced_logout_evidence_files:
      description: Paths of the evidence files, C(json) and C(markdown). Only with O(report_dir).
      type: dict
facts:
  description:
    - The same two facts, returned rather than set; set them with M(ansible.builtin.set_fact).
  returned: when O(return_facts=true)
  type: dict
  sample: {forced_logout_result: {}, forced_logout_evidence_files: {json: /var/lib/incidents/INC-1234/INC-1234.json,
           markdown: /var/lib/incidents/INC-1234/INC-1234.md}}
'''
