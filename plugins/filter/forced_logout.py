# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters behind the forced_logout role: its result, and the evidence files made from it.

They are Python rather than Jinja because a containment of a thousand accounts handles tens of
thousands of session entries, which Jinja loops turn from milliseconds into many seconds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

SUMMARY_FIELDS = ('session_id', 'session_type', 'login', 'site')


def _ids(entries):
    return {entry.get('session_id') for entry in entries}


def _by_site(entries):
    per_site = {}
    for entry in entries:
        per_site.setdefault(str(entry.get('site')), set()).add(entry.get('session_id'))
    return {site: len(ids) for site, ids in sorted(per_site.items())}


def _entries(value, name):
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise AnsibleFilterError('forced_logout_report: %s must be a list of session entries' % name)
    return [dict(entry) for entry in value]


def forced_logout_report(data):
    """The forced_logout_result fact, from the registered results of the role's ws_session tasks."""
    if not isinstance(data, Mapping):
        raise AnsibleFilterError('forced_logout_report: expected a dict of the role\'s results')
    close = data.get('close') or {}
    verify = data.get('verify') or {}
    last_sweep = data.get('last_sweep') or {}
    check_mode = bool(data.get('check_mode'))
    first_closed = _entries(close.get('closed'), 'close.closed')
    first_spared = _entries(close.get('spared'), 'close.spared')
    first_remaining = _entries(close.get('remaining'), 'close.remaining')
    swept = _entries(data.get('swept'), 'swept')
    # A spared session survives every pass: the last pass that ran says what it is.
    spared = _entries(last_sweep.get('spared'), 'last_sweep.spared') if last_sweep else first_spared
    spared_ids = _ids(spared)
    if check_mode:
        remaining = []
    elif 'closed' in verify:
        remaining = [e for e in _entries(verify.get('closed'), 'verify.closed') if e.get('session_id') not in spared_ids]
    else:
        remaining = _entries(last_sweep.get('remaining'), 'last_sweep.remaining') if last_sweep else first_remaining
    before = first_closed + first_spared + first_remaining
    closed = first_closed + swept
    failed_targets = list(close.get('failed_targets') or []) + list(last_sweep.get('failed_targets') or [])
    return {
        'users': list(data.get('users') or []),
        'domain': data.get('domain'),
        'sites': close.get('sites', data.get('sites')),
        'ticket': data.get('ticket'),
        'check_mode': check_mode,
        'started_at': data.get('started_at'),
        'finished_at': data.get('finished_at'),
        'protected_users': list(data.get('protected_users') or []),
        'passes': 1 if check_mode else int(data.get('passes') or 1),
        'before': before,
        'closed': closed,
        'spared': spared,
        'remaining': remaining,
        'failed_targets': [dict(t) for t in failed_targets],
        'failure': data.get('failure'),
        'counts': {
            'users': len(data.get('users') or []),
            'before': len(_ids(before)),
            'closed': len(_ids(closed)),
            'closed_by_sweeps': len(_ids(swept)),
            'spared': len(spared_ids),
            'remaining': len(_ids(remaining)),
            'failed_targets': len(failed_targets),
            'by_site': _by_site(closed),
        },
    }


def _cell(value):
    return str(value if value is not None else '-').replace('|', '/').replace('\n', ' ')


def _session_table(entries):
    lines = ['| session id | type | login | site |', '|---|---|---|---|']
    for entry in sorted(entries, key=lambda e: (str(e.get('site')), str(e.get('login')), str(e.get('session_id')))):
        lines.append('| %s |' % ' | '.join(_cell(entry.get(field)) for field in SUMMARY_FIELDS))
    if len(lines) == 2:
        lines.append('| - | | | |')
    return lines


def _markdown(result, cluster):
    counts = result['counts']
    check = result.get('check_mode')
    sites = result.get('sites')
    if result.get('failure'):
        outcome = 'FAILED: %s' % result['failure']
    elif counts.get('remaining'):
        outcome = 'incomplete: sessions still open'
    else:
        outcome = 'would close' if check else 'contained'
    title = '# Forced logout%s%s' % (' - %s' % result['ticket'] if result.get('ticket') else '',
                                     ' (check mode: nothing was closed)' if check else '')
    lines = [title, '', '| | |', '|---|---|']
    for label, value in (
            ('Ticket', result.get('ticket')), ('Cluster', cluster), ('Domain', result.get('domain')),
            ('Sites', sites if isinstance(sites, str) else ', '.join(sites or [])),
            ('Accounts', ', '.join(result.get('users') or [])),
            ('Protected accounts', ', '.join(result.get('protected_users') or []) or None),
            ('Started (UTC)', result.get('started_at')), ('Finished (UTC)', result.get('finished_at')),
            ('Passes', result.get('passes')), ('Result', outcome)):
        lines.append('| %s | %s |' % (label, _cell(value)))
    lines += ['', '## Counts', '',
              '| open before | %s | closed by sweeps | spared | still open | failed targets |'
              % ('would close' if check else 'closed'),
              '|---|---|---|---|---|---|',
              '| %s | %s | %s | %s | %s | %s |' % (counts['before'], counts['closed'], counts['closed_by_sweeps'],
                                                   counts['spared'], counts['remaining'], counts['failed_targets'])]
    if counts.get('by_site'):
        lines += ['', '| site | sessions %s |' % ('to close' if check else 'closed'), '|---|---|']
        lines += ['| %s | %s |' % (_cell(site), count) for site, count in sorted(counts['by_site'].items())]
    lines += ['', '## Sessions %s' % ('that would be closed' if check else 'closed'), '']
    lines += _session_table(result.get('closed') or [])
    if result.get('spared'):
        lines += ['', '## Spared (the session that made the request)', ''] + _session_table(result['spared'])
    if result.get('remaining'):
        lines += ['', '## Still open', ''] + _session_table(result['remaining'])
    if result.get('failed_targets'):
        lines += ['', '## Failed targets', '', '| target | error |', '|---|---|']
        lines += ['| %s | %s |' % (_cell(t.get('target')), _cell(t.get('error'))) for t in result['failed_targets']]
    return '\n'.join(lines) + '\n'


def forced_logout_evidence(result, output_format='json', cluster=None):
    """The evidence file content for a forced_logout_result: ``json`` or ``markdown``."""
    if not isinstance(result, Mapping) or 'counts' not in result:
        raise AnsibleFilterError('forced_logout_evidence: expected the forced_logout_result fact')
    if output_format == 'json':
        return json.dumps(result, indent=2, sort_keys=True, default=str) + '\n'
    if output_format == 'markdown':
        return _markdown(result, cluster)
    raise AnsibleFilterError('forced_logout_evidence: format must be json or markdown, got %r' % (output_format,))


PLAN_VERSION = 1


def forced_logout_plan(close, users, domain, protected_users=None, max_sessions=0, created_at=None):
    """A reviewable plan from a check-mode ws_session result: who, where, and exactly which sessions."""
    if not isinstance(close, Mapping) or 'closed' not in close:
        raise AnsibleFilterError('forced_logout_plan: expected a ws_session result run in check mode')
    sessions = sorted(
        ({field: entry.get(field) for field in SUMMARY_FIELDS} for entry in close['closed']),
        key=lambda e: (str(e['session_id']), str(e['session_type'])))
    return {
        'version': PLAN_VERSION,
        'users': sorted(users or []),
        'domain': domain,
        'sites': close.get('sites'),
        'protected_users': sorted(protected_users or []),
        'max_sessions': int(max_sessions or 0),
        'sessions': sessions,
        'session_count': len(_ids(sessions)),
        'created_at': created_at,
    }


def forced_logout_plan_hash(plan):
    """SHA-256 of the plan's canonical JSON: what an approver signs off, and what apply checks."""
    if not isinstance(plan, Mapping) or plan.get('version') != PLAN_VERSION:
        raise AnsibleFilterError('forced_logout_plan_hash: expected a forced_logout plan (version %d)' % PLAN_VERSION)
    canonical = json.dumps(plan, sort_keys=True, separators=(',', ':'), ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


TOTAL_KEYS = ('users', 'before', 'closed', 'closed_by_sweeps', 'spared', 'remaining', 'failed_targets')


def forced_logout_totals(results):
    """Counts over one or several clusters, from {cluster: forced_logout_result or None}.

    A cluster without a result (unreachable, or failed before the role could record anything) makes the
    whole run not ok: a workflow must never read success while a cluster was not contained.
    """
    if not isinstance(results, Mapping):
        raise AnsibleFilterError('forced_logout_totals: expected a dict of cluster name to forced_logout_result')
    totals = dict.fromkeys(TOTAL_KEYS, 0)
    by_site = {}
    failed = []
    check_mode = False
    tickets = []
    for cluster, result in sorted(results.items()):
        if not isinstance(result, Mapping) or 'counts' not in result:
            failed.append(cluster)
            continue
        counts = result['counts']
        for key in TOTAL_KEYS:
            totals[key] += int(counts.get(key) or 0)
        for site, count in (counts.get('by_site') or {}).items():
            by_site[site] = by_site.get(site, 0) + int(count)
        check_mode = check_mode or bool(result.get('check_mode'))
        if result.get('ticket') and result['ticket'] not in tickets:
            tickets.append(result['ticket'])
        if result.get('failure') or (counts.get('remaining') and not result.get('check_mode')):
            failed.append(cluster)
    totals.update(by_site=dict(sorted(by_site.items())), clusters=len(results), failed_clusters=failed,
                  ok=not failed, check_mode=check_mode, ticket=', '.join(tickets) or None)
    return totals


class FilterModule:
    def filters(self):
        return {
            'forced_logout_report': forced_logout_report,
            'forced_logout_evidence': forced_logout_evidence,
            'forced_logout_totals': forced_logout_totals,
            'forced_logout_plan': forced_logout_plan,
            'forced_logout_plan_hash': forced_logout_plan_hash,
        }
