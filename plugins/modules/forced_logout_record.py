#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: forced_logout_record
short_description: Assemble the forced_logout role's result and write its append-only evidence, on the controller
version_added: 1.0.0
description:
  - The record of a forced logout, as one action on the controller, for a playbook that runs the
    M(incoplax.platform.ws_session) passes as its own tasks. It reads their registered results, builds the
    C(forced_logout_result) fact, and, with O(report_dir), writes the JSON and Markdown evidence as new files and
    appends the ticket's ledger. The P(incoplax.platform.forced_logout#role) role runs the passes and this record in
    one step, M(incoplax.platform.forced_logout_run), which keeps the sessions in memory between them.
  - The registered results are read from the variables named in O(close_var), O(verify_var), O(last_sweep_var)
    and O(swept_var), as they are stored, instead of being passed as templated arguments. A containment of a
    thousand accounts holds tens of thousands of session entries, which ansible-core 2.19 and later would
    otherwise template one by one.
  - The action sets the facts C(forced_logout_result), C(forced_logout_summary) (the console summary, a list of
    lines), with O(report_dir) C(forced_logout_evidence_files), and in plan mode C(forced_logout_plan) and
    C(forced_logout_plan_hash). On ansible-core 2.21 and later it sets them with the precedence of
    M(ansible.builtin.set_fact); before 2.21 it returns them as C(ansible_facts), which sets them as host facts
    (lower precedence than play or role variables; nothing else defines these names). With O(facts_file=true)
    (as the role calls it), before ansible-core 2.19 they are handed over in a private file instead, see O(facts_file).
  - Outcome model. C(forced_logout_result.before) and C(forced_logout_result.remaining)
    hold entries when a listing succeeded and are V(null) (unknown) when none did; C(outcome) is V(contained) only
    when nothing failed, nothing of the targets is still open and every target had its sessions closed or had
    none (those are listed in C(not_open)); V(dry_run) when nothing was closed on purpose; else V(failed).
  - Counts. Sessions are counted as distinct session ids (C(closed)); API entries separately (C(entries)), a
    session listed as C(http) and C(websocket) is one session and two entries.
  - Evidence is append-only. Each run writes C(<report_name>.<UTC time>[-n].json) and C(.md) (and C(.plan.json)
    in plan mode), created exclusively, never overwriting or truncating a file, and appends a record to
    C(<report_name>.ledger.jsonl) holding the SHA-256 of the ledger line before it and of each file it wrote.
    O(report_name) is sanitised (only letters, digits, C(.), C(_) and C(-); no leading dot), so no name writes
    outside O(report_dir). Check a ledger with P(incoplax.platform.forced_logout_ledger_verify#filter).
  - Evidence files are records of the run, not state. They are written in check mode too, and never reported as
    a change.
author:
  - Incoplax platform team (@incoplax)
options:
  close_var:
    description:
      - Name of the variable holding the registered result of the first M(incoplax.platform.ws_session) pass
        (in plan mode, of the check-mode pass that makes the plan).
    type: str
    required: true
  verify_var:
    description:
      - Name of the variable holding the registered result of the verification (M(incoplax.platform.ws_session) in
        check mode after the passes). An empty dict when the verification did not run.
    type: str
    required: true
  last_sweep_var:
    description: Name of the variable holding the registered result of the last sweep pass, an empty dict if none ran.
    type: str
    required: true
  swept_var:
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
  mode:
    description: The role's mode. V(plan) is a dry run whose result also becomes the plan.
    type: str
    choices: [run, plan, apply]
    default: run
  dry_run:
    description:
      - Whether nothing was closed on purpose. The action also records a dry run when it runs in check mode itself,
        however check mode was asked for (C(--check), the play, a block, the task, C(import_role),
        C(include_role) with C(apply)), and in plan mode; V(false) never turns that off.
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
  max_sessions:
    description: The blast-radius guard, recorded in the plan; V(null) for no limit.
    type: int
  passes:
    description: Number of passes asked for.
    type: int
    default: 1
  failure:
    description: What failed (the failed task and its message), or V(null).
    type: str
  platform:
    description: URL of the platform, recorded without user info.
    type: str
  caller:
    description:
      - The account the credentials belong to. The C(caller) that the first M(incoplax.platform.ws_session) pass
        returns wins when the module reports it.
    type: str
  report_dir:
    description:
      - Directory of the evidence files on the controller. Created (mode C(0750)) if missing; files are created
        with mode C(0640). When omitted or empty, no file is written and C(forced_logout_evidence_files) is not set.
    type: str
  report_name:
    description: Evidence file name without time and extension, sanitised. Required with O(report_dir).
    type: str
  cluster:
    description: Name of the cluster shown in the Markdown evidence and the summary.
    type: str
  facts_file:
    description:
      - How the P(incoplax.platform.forced_logout#role) role takes the facts, cheaply with tens of thousands of session
        entries. V(true) also sets C(forced_logout_outcome) and C(forced_logout_facts_file).
      - Before ansible-core 2.19, which deep-copies every host fact on every later task (seconds each at that size),
        the facts are then not returned; they are written to a new private JSON file (mode C(0600)) in ansible-core's
        local temporary directory, which C(ansible-playbook) removes when it ends, and its path is returned as the
        fact C(forced_logout_facts_file), for M(ansible.builtin.include_vars) to set them from (with its precedence,
        just below M(ansible.builtin.set_fact)). Every string in the file is marked unsafe (never templated), except
        in the lists of session entries, where only a string holding a C({) is, the only ones that can start a
        template. When the action fails, the facts are returned as C(ansible_facts) as with V(false).
      - On ansible-core 2.19 and later the facts are set as with V(false), and C(forced_logout_facts_file) is V(null).
    type: bool
    default: false
    version_added: 1.1.0
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
      - Never changes the platform. In check mode the run is recorded as a dry run; the evidence is written too,
        and never counts as a change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
notes:
  - Runs on the controller and writes the evidence there, as the user running Ansible.
  - The operator recorded is the controller user, plus the AWX job id, job template name and launching user when
    the C(awx_*) (or C(tower_*)) variables are set.
seealso:
  - plugin: incoplax.platform.forced_logout_ledger_verify
    plugin_type: filter
  - plugin: incoplax.platform.forced_logout_totals
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Assemble the result of a forced logout and write the evidence
  incoplax.platform.forced_logout_record:
    close_var: close_result
    verify_var: verify_result
    last_sweep_var: last_sweep_result
    swept_var: swept_entries
    users: [jdoe]
    domain: master.domain
    sites: all
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
