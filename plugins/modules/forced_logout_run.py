#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: forced_logout_run
short_description: Close every session of the targets, sweep, verify and record the forced_logout role's result, on the controller
version_added: 1.1.0
description:
  - The containment step of the P(incoplax.platform.forced_logout#role) role, as one action on the controller. It
    runs the close of M(incoplax.platform.ws_session) for O(users) (one listing, the guards, one logout C(POST) per
    user at O(concurrency), listings until the sessions are gone), then, every O(sweep_interval) seconds, O(sweeps)
    minus one more passes for sessions that came back, then a verification listing. Finally it records the run as
    M(incoplax.platform.forced_logout_record) does - the same result, facts, evidence files and ledger record.
  - The steps run in the action's own process with the code of M(incoplax.platform.ws_session), and their results
    stay in memory. A containment of a thousand accounts holds tens of thousands of session entries, which
    separate module tasks would each hand back to ansible-core to decode, register and copy.
  - "The requests go from the controller, with the task's C(environment) applied (the C(INCOPLAX_*) fallbacks and
    the proxy settings of C(requests) read it). The role's plays run with C(connection: local)."
  - "From the plan checks on, the first step that fails ends the steps. Its failure (C(<step>: <message>)) is recorded in
    C(forced_logout_result.failure) with what is known, as the outcome V(failed); the task itself does not fail,
    so that the role can publish the result before failing."
  - Guards. A target that is a protected account, a name that is the login of one account and the user id of
    another, or more than O(max_sessions) sessions fail the close before anything is closed.
  - The action is the engine of the role, and takes the role's settings as the role has them. A wrong setting fails
    the task before anything is sent or written, naming the role variable (C(forced_logout_<option>)) and the fix,
    every wrong one at once.
author:
  - Incoplax platform team (@incoplax)
options:
  users:
    description:
      - Logins or user ids whose sessions in O(domain) are all closed, on O(sites).
      - A list, or one string of names separated by commas, semicolons or new lines (an AWX survey text field). Every
        name is trimmed; an element that is not a non-empty string fails the task before anything is sent.
    type: raw
    required: true
  domain:
    description: Domain of O(users).
    type: raw
    required: true
  sites:
    description: The scope, as O(incoplax.platform.ws_session#module:sites).
    type: raw
    default: all
  protected_users:
    description:
      - Accounts never touched; naming one of them in O(users) fails the close before anything is closed.
      - A list, or one string of names as O(users).
    type: raw
    default: []
  max_sessions:
    description:
      - If more sessions than this would be closed, fail before closing anything. Unset, null or empty means no limit;
        V(0) refuses any session.
    type: raw
  concurrency:
    description: How many logout requests are in flight at once; a whole number of 1 or more (text is read as one).
    type: raw
    default: 16
  wait_timeout:
    description: Seconds each pass waits for the closed sessions to disappear from the listing; 0 or more.
    type: raw
    default: 30
  sweeps:
    description:
      - Passes, 1 or more; each pass after the first waits O(sweep_interval) seconds, then closes the targets' sessions
        that came back.
    type: raw
    default: 1
  sweep_interval:
    description: Seconds between passes, a whole number of 0 or more.
    type: raw
    default: 10
  mode:
    description:
      - V(run) closes. V(plan) is a dry run whose result also becomes the plan (C(forced_logout_plan) and its
        C(forced_logout_plan_hash)). V(apply) closes only what the approved plan allows, see O(plan).
    type: str
    choices: [run, plan, apply]
    default: run
  plan:
    description:
      - In apply mode, the approved plan (the C(forced_logout_plan) of the plan run). Before anything is sent, the run is
        refused when its SHA-256 is not O(plan_hash), when O(users), O(domain) or O(protected_users) differ from it,
        and, after one listing, when the sites differ or more than its C(session_count) plus O(plan_margin) sessions
        would be closed. A refusal is recorded as a failure.
    type: raw
  plan_file:
    description:
      - In apply mode without O(plan), the JSON file of the plan (the C(.plan.json) evidence of the plan run), found as
        the P(ansible.builtin.file#lookup) lookup finds files.
    type: str
  plan_hash:
    description: In apply mode, the approved SHA-256 of the plan. Required with V(apply).
    type: str
  plan_margin:
    description: In apply mode, how many sessions beyond the plan's count may be closed; 0 or more.
    type: raw
    default: 10
  ticket:
    description: Incident reference recorded in the result.
    type: str
  started_at:
    description: UTC start time of the run, recorded; by default when the action starts.
    type: str
  report_dir:
    description:
      - Directory of the evidence files on the controller, as O(incoplax.platform.forced_logout_record#module:report_dir).
    type: str
  report_name:
    description: Evidence file name without time and extension, sanitised. Required with O(report_dir).
    type: str
  cluster:
    description: Name of the cluster shown in the Markdown evidence and the summary.
    type: str
  facts_file:
    description: How the facts are handed over, as O(incoplax.platform.forced_logout_record#module:facts_file).
    type: bool
    default: false
extends_documentation_fragment:
  - incoplax.platform.connection
  - incoplax.platform.attributes
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
      - Nothing is sent but the listing; the result says what would be closed and is recorded as a dry run, however
        check mode was asked for (C(--check), the play, a block, the task, C(import_role), C(include_role) with
        C(apply)).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: full
    details:
      - The diff of the first pass, as M(incoplax.platform.ws_session) returns it.
notes:
  - Runs on the controller and writes the evidence there, as the user running Ansible.
seealso:
  - module: incoplax.platform.ws_session
  - module: incoplax.platform.forced_logout_record
'''

EXAMPLES = r'''
- name: Log out two accounts everywhere, with two passes, and keep the evidence
  incoplax.platform.forced_logout_run:
    url: https://platform.example.com
    token: "{{ incoplax_token }}"
    users: [jdoe, 1f2e3d4c]
    domain: master.domain
    sites: all
    protected_users: [breakglass]
    sweeps: 2
    sweep_interval: 10
    ticket: INC-1234
    report_dir: /var/lib/incidents
    report_name: INC-1234
    cluster: "{{ inventory_hostname }}"
'''

RETURN = r'''
ansible_facts:
  description:
    - The facts set. With O(facts_file=true) before ansible-core 2.19, only C(forced_logout_facts_file) (unless the
      action fails).
    - On ansible-core 2.21 and later, which set the facts without returning them, the task result shows them without
      C(forced_logout_result) and C(forced_logout_plan), which hold the lists of session entries; C(forced_logout_outcome)
      is there instead. The facts themselves are complete.
    - On ansible-core 2.19 and 2.20, where returning the facts is how they become facts, every non-empty list of
      session entries in C(forced_logout_result) and C(forced_logout_plan) is a tuple (those versions copy every list
      of host facts at every later task, never a tuple); Jinja reads it as a list (C(length), loops, indexing,
      filters, C(to_json)). To compare one with a list, or add it to another (an empty one stays a list, and a
      tuple and a list do not add up), apply C(list) first. Callbacks get this task's result as for C(no_log)
      (C(changed) and the warnings), unless the action fails.
  returned: always
  type: dict
  contains:
    forced_logout_facts_file:
      description:
        - With O(facts_file=true), the path of the private JSON file holding the other facts, for
          M(ansible.builtin.include_vars); V(null) when the facts were set or returned directly.
      returned: with O(facts_file=true)
      type: str
      version_added: 1.1.0
    forced_logout_outcome:
      description:
        - C(forced_logout_result) without its lists of session entries (C(before), C(closed), C(already_gone),
          C(spared), C(remaining), C(unverified)), which is what a step reading every host needs
          (P(incoplax.platform.forced_logout_totals#filter)), cheap to read on any ansible-core.
      returned: with O(facts_file=true), and in the task result on ansible-core 2.21 and later
      type: dict
      version_added: 1.1.0
    forced_logout_result:
      description:
        - The result. Keys C(users), C(domain), C(sites), C(ticket), C(mode), C(check_mode) (true for any dry run),
          C(outcome) (V(contained), V(dry_run) or V(failed)), C(started_at), C(finished_at), C(protected_users),
          C(passes), C(platform), C(caller), C(operator), C(versions), C(before), C(closed), C(already_gone),
          C(spared), C(remaining), C(not_open), C(failed_targets), C(unverified), C(failure) and C(counts).
        - C(counts) has C(users), C(before), C(closed) (distinct sessions), C(entries) (API entries closed),
          C(closed_by_sweeps), C(already_gone), C(spared), C(remaining), C(not_open), C(failed_targets) and
          C(by_site). C(before) and C(remaining) are V(null) when unknown.
      type: dict
    forced_logout_summary:
      description: The console summary, one line per item.
      type: list
      elements: str
    forced_logout_evidence_files:
      description:
        - Paths of the files this run wrote, C(json), C(markdown) (and C(plan) in plan mode), of the C(ledger), and
          the run number (C(ledger_run)) and SHA-256 (C(ledger_record_sha256)) of the ledger record it appended.
          Only with O(report_dir).
      type: dict
      sample: {json: /var/lib/incidents/INC-1234.20261128T101500Z.json, markdown: /var/lib/incidents/INC-1234.20261128T101500Z.md,
               ledger: /var/lib/incidents/INC-1234.ledger.jsonl, ledger_run: 2,
               ledger_record_sha256: 6f1ed002ab5595859014ebf0951522d9b3c1a4e29f1f7a1c8a3d5c2f0e6b7a91}
    forced_logout_plan:
      description: The plan, in plan mode when nothing failed.
      type: dict
    forced_logout_plan_hash:
      description: The plan's SHA-256, in plan mode when nothing failed.
      type: str
'''
