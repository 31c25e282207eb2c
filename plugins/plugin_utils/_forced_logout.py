# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The forced_logout role's outcome model: its result, evidence (JSON, Markdown), plan, totals and console summary.

Shared by the forced_logout_record action and the collection's filters. Python rather than Jinja because a
containment of a thousand accounts handles tens of thousands of session entries.

Outcome model (docs/docsite/rst/security.rst): ``before`` and ``remaining`` are lists when a listing succeeded and None
(unknown) when none did; sessions are counted as distinct ids (``closed``), API entries separately
(``entries``: an id listed as http and websocket is one session and two entries).

Private plugin_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re

from collections.abc import Mapping

SUMMARY_FIELDS = ('session_id', 'session_type', 'login', 'site')
OUTCOMES = ('contained', 'dry_run', 'failed')
# The keys of forced_logout_result that hold lists of session entries.
ENTRY_LISTS = ('before', 'closed', 'already_gone', 'spared', 'remaining', 'unverified')
USERINFO = re.compile(r'^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@')


class OutcomeError(ValueError):
    """Input that is not what the role's steps produce; the text says which part."""


def ids(entries):
    return {entry.get('session_id') for entry in entries or ()}


def by_site(entries):
    per_site = {}
    for entry in entries:
        per_site.setdefault(str(entry.get('site')), set()).add(entry.get('session_id'))
    return {site: len(found) for site, found in sorted(per_site.items())}


def _entries(value, name):
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise OutcomeError('%s must be a list of session entries, got %s' % (name, type(value).__name__))
    return [dict(entry) for entry in value]


def _listed(result):
    """Whether a registered ws_session result holds a listing (a failure before any listing has no ``remaining``)."""
    return isinstance(result, Mapping) and 'remaining' in result and 'closed' in result


def public_url(url):
    """``url`` without userinfo (``https://user:pass@host`` -> ``https://host``), or None."""
    if not url or not isinstance(url, str):
        return None
    return USERINFO.sub(r'\1', url.strip())


def _distinct(entries):
    return None if entries is None else len(ids(entries))


def report(data):
    """The forced_logout_result fact from the registered results of the role's ws_session tasks.

    ``data``: close, verify, last_sweep (registered results, {} when the step did not run), swept (entries
    closed by sweeps), users, domain, sites, ticket, dry_run, mode, started_at, finished_at,
    protected_users, passes, failure, and the context keys platform, caller, operator, versions.
    """
    if not isinstance(data, Mapping):
        raise OutcomeError('expected a dict of the role\'s results')
    close = data.get('close') or {}
    verify = data.get('verify') or {}
    last_sweep = data.get('last_sweep') or {}
    dry_run = bool(data.get('dry_run'))
    listed = _listed(close)
    # Each entry is copied once, and the lists of the result share these copies (``before`` holds the entries of
    # ``closed``...): a fact that ansible-core pickles and deep-copies costs per distinct object.
    first_closed = _entries(close.get('closed'), 'close.closed')
    first_spared = _entries(close.get('spared'), 'close.spared')
    first_remaining = _entries(close.get('remaining'), 'close.remaining')
    first_gone = _entries(close.get('already_gone'), 'close.already_gone')
    swept = [] if dry_run else _entries(data.get('swept'), 'swept')
    sweeps = [] if dry_run or not last_sweep else [last_sweep]
    # A spared session survives every pass: the last pass that ran says what it is.
    spared = _entries(sweeps[-1].get('spared'), 'spared') if sweeps else first_spared
    spared_ids = ids(spared)
    already_gone = list(first_gone)
    for result in sweeps:
        already_gone += _entries(result.get('already_gone'), 'last_sweep.already_gone')
    if not listed:
        before = None
        remaining = None
    else:
        before = first_closed + first_spared + first_remaining + first_gone
        if dry_run:
            remaining = []
        elif _listed(verify):
            remaining = [e for e in _entries(verify.get('closed'), 'verify.closed') if e.get('session_id') not in spared_ids]
        elif sweeps and _listed(sweeps[-1]):
            remaining = _entries(sweeps[-1].get('remaining'), 'last_sweep.remaining')
        else:
            remaining = first_remaining
    closed = first_closed + swept
    not_open = [str(target) for target in close.get('not_open') or []]
    failed_targets = [dict(t) for t in list(close.get('failed_targets') or []) + list(last_sweep.get('failed_targets') or [])]
    unverified = _entries(close.get('unverified'), 'close.unverified')
    failure = data.get('failure') or None
    if failure or remaining is None or remaining or failed_targets or unverified:
        outcome = 'failed'
        if not failure:
            failure = ('%d target session(s) still open' % len(ids(remaining)) if remaining
                       else 'what is still open is unknown: no listing succeeded' if remaining is None
                       else 'the platform refused %d target(s)' % len(failed_targets) if failed_targets
                       else 'closing could not be verified')
    else:
        outcome = 'dry_run' if dry_run else 'contained'
    users = list(data.get('users') or [])
    return {
        'users': users,
        'domain': data.get('domain'),
        'sites': close.get('sites', data.get('sites')),
        'ticket': data.get('ticket'),
        'mode': data.get('mode') or 'run',
        'check_mode': dry_run,
        'outcome': outcome,
        'started_at': data.get('started_at'),
        'finished_at': data.get('finished_at'),
        'protected_users': list(data.get('protected_users') or []),
        'passes': 1 if dry_run else int(data.get('passes') or 1),
        'platform': public_url(data.get('platform')),
        'caller': close.get('caller') or data.get('caller') or None,
        'operator': dict(data.get('operator') or {}),
        'versions': dict(data.get('versions') or {}),
        'before': before,
        'closed': closed,
        'already_gone': already_gone,
        'spared': spared,
        'remaining': remaining,
        'not_open': not_open,
        'failed_targets': failed_targets,
        'unverified': unverified,
        'failure': failure,
        'counts': {
            'users': len(users),
            'before': _distinct(before),
            'closed': len(ids(closed)),
            'entries': len(closed),
            'closed_by_sweeps': len(ids(swept)),
            'already_gone': len(ids(already_gone)),
            'spared': len(spared_ids),
            'remaining': _distinct(remaining),
            'not_open': len(not_open),
            'failed_targets': len(failed_targets),
            'by_site': by_site(closed),
        },
    }


def without_entries(result):
    """forced_logout_result without its lists of session entries: what ``totals`` and a summary read."""
    return dict((key, value) for key, value in result.items() if key not in ENTRY_LISTS)


def counts_sentence(result):
    """The counts explained in words: distinct sessions and API entries."""
    counts = result['counts']
    verb = 'would be closed' if result.get('check_mode') else 'closed'
    return ('%d session(s) %s (%d API entries: an id listed as http and websocket is one session, two entries); '
            'open before: %s; still open: %s.' % (
                counts['closed'], verb, counts['entries'],
                'unknown' if counts['before'] is None else counts['before'],
                'unknown' if counts['remaining'] is None else counts['remaining']))


def outcome_line(result):
    """The outcome in words, naming the accounts with no open session next to it."""
    outcome = result['outcome']
    if outcome == 'failed':
        text = 'FAILED: %s' % result.get('failure')
    elif outcome == 'dry_run':
        text = 'dry run: nothing was closed'
    else:
        text = 'contained'
    if result.get('not_open'):
        text += ' (no open session found for %s)' % ', '.join(result['not_open'])
    return text


def evidence_json(result):
    """The JSON evidence: the result's keys sorted and indented, each session entry on one line of its own.

    One line per entry reads and greps well, and lets the C encoder write each entry: an indented document goes
    through the pure-Python encoder, more than twice as slow with tens of thousands of entries.
    """
    encode = json.JSONEncoder(sort_keys=True, default=str).encode
    encoded = {}  # id -> text: before and closed share their entries

    def entry(item):
        text = encoded.get(id(item))
        if text is None:
            text = encoded[id(item)] = encode(item)
        return text

    members = []
    for key in sorted(result):
        value = result[key]
        if key in ENTRY_LISTS and isinstance(value, (list, tuple)) and value:
            text = '[\n    %s\n  ]' % ',\n    '.join(map(entry, value))
        else:
            text = json.dumps(value, indent=2, sort_keys=True, default=str).replace('\n', '\n  ')
        members.append('  %s: %s' % (encode(key), text))
    return '{\n%s\n}\n' % ',\n'.join(members)


def _cell(value):
    if value is None:
        return '-'
    return str(value).replace('|', '/').replace('\r', ' ').replace('\n', ' ')


def _count(value):
    return 'unknown' if value is None else value


def _session_table(entries):
    lines = ['| session id | type | login | site |', '|---|---|---|---|']
    for entry in sorted(entries, key=lambda e: (str(e.get('site')), str(e.get('login')), str(e.get('session_id')))):
        lines.append('| %s |' % ' | '.join(_cell(entry.get(field)) for field in SUMMARY_FIELDS))
    if len(lines) == 2:
        lines.append('| - | | | |')
    return lines


def _operator_text(operator):
    parts = [operator.get('user') or 'unknown']
    if operator.get('awx_job_id') is not None:
        parts.append('AWX job %s' % operator['awx_job_id'])
    if operator.get('awx_job_template_name'):
        parts.append('template %s' % operator['awx_job_template_name'])
    if operator.get('awx_user_name'):
        parts.append('launched by %s' % operator['awx_user_name'])
    return ', '.join(parts)


def evidence_markdown(result, cluster=None):
    counts = result['counts']
    dry = result.get('check_mode')
    sites = result.get('sites')
    versions = result.get('versions') or {}
    title = '# Forced logout%s%s' % (' - %s' % result['ticket'] if result.get('ticket') else '',
                                     ' (dry run: nothing was closed)' if dry else '')
    lines = [title, '', '| | |', '|---|---|']
    for label, value in (
            ('Ticket', result.get('ticket')), ('Cluster', cluster), ('Platform', result.get('platform') or 'unknown'),
            ('Caller', result.get('caller') or 'unknown'), ('Operator', _operator_text(result.get('operator') or {})),
            ('Mode', result.get('mode')), ('Domain', result.get('domain')),
            ('Sites', ', '.join(str(s) for s in sites) if isinstance(sites, (list, tuple)) else sites),
            ('Accounts', ', '.join(result.get('users') or [])),
            ('No open session found', ', '.join(result.get('not_open') or []) or None),
            ('Protected accounts', ', '.join(result.get('protected_users') or []) or None),
            ('Started (UTC)', result.get('started_at')), ('Finished (UTC)', result.get('finished_at')),
            ('Passes', result.get('passes')), ('Result', outcome_line(result)),
            ('Versions', 'incoplax.platform %s, ansible-core %s' % (versions.get('collection') or 'unknown',
                                                                    versions.get('ansible_core') or 'unknown'))):
        lines.append('| %s | %s |' % (label, _cell(value)))
    lines += ['', '## Counts', '', counts_sentence(result), '',
              '| open before | %s | API entries | closed by sweeps | already gone | spared | still open | no open session | failed targets |'
              % ('would close' if dry else 'closed'),
              '|---|---|---|---|---|---|---|---|---|',
              '| %s |' % ' | '.join(str(_count(counts[key])) for key in (
                  'before', 'closed', 'entries', 'closed_by_sweeps', 'already_gone', 'spared', 'remaining',
                  'not_open', 'failed_targets'))]
    if counts.get('by_site'):
        lines += ['', '| site | sessions %s |' % ('to close' if dry else 'closed'), '|---|---|']
        lines += ['| %s | %s |' % (_cell(site), count) for site, count in sorted(counts['by_site'].items())]
    lines += ['', '## Sessions %s' % ('that would be closed' if dry else 'closed'), '']
    lines += _session_table(result.get('closed') or [])
    if result.get('already_gone'):
        lines += ['', '## Already gone (closed before this run could close them)', ''] + _session_table(result['already_gone'])
    if result.get('spared'):
        lines += ['', '## Spared (the caller\'s own session, which made the request)', ''] + _session_table(result['spared'])
    if result.get('remaining') is None:
        lines += ['', '## Still open', '', 'unknown: no listing of the sessions succeeded.']
    elif result['remaining']:
        lines += ['', '## Still open', ''] + _session_table(result['remaining'])
    if result.get('unverified'):
        lines += ['', '## Unverified (request sent, not checked)', ''] + _session_table(result['unverified'])
    if result.get('not_open'):
        lines += ['', '## No open session found', '']
        lines += ['- %s' % _cell(name) for name in result['not_open']]
    if result.get('failed_targets'):
        lines += ['', '## Failed targets', '', '| target | error |', '|---|---|']
        lines += ['| %s | %s |' % (_cell(t.get('target')), _cell(t.get('error'))) for t in result['failed_targets']]
    return '\n'.join(lines) + '\n'


def summary(result, files=None, cluster=None):
    """Short console summary: what a responder reads in the terminal or the AWX job output."""
    counts = result['counts']
    ticket = ' ' + result['ticket'] if result.get('ticket') else ''
    where = ' on ' + cluster if cluster and cluster != 'localhost' else ''
    lines = ['forced logout%s%s: %s' % (ticket, where, outcome_line(result)), counts_sentence(result)]
    if counts['closed_by_sweeps']:
        lines.append('closed by sweeps: %d' % counts['closed_by_sweeps'])
    if result.get('already_gone'):
        lines.append('already gone before this run closed them: %d' % counts['already_gone'])
    if result.get('not_open'):
        lines.append('no open session found: %s' % ', '.join(result['not_open']))
    if result.get('remaining') is None:
        lines.append('still open: unknown (no listing succeeded)')
    elif result['remaining']:
        still_open = sorted('%s (%s on %s)' % (e.get('session_id'), e.get('login'), e.get('site')) for e in result['remaining'])
        lines.append('STILL OPEN: %s' % ', '.join(still_open))
    if result.get('spared'):
        lines.append('spared (the caller\'s own session): %s' % ', '.join(sorted(ids(result['spared']))))
    if result.get('failed_targets'):
        failed = ['%s (%s)' % (t.get('target'), t.get('status') or t.get('error')) for t in result['failed_targets']]
        lines.append('failed: %s' % ', '.join(failed))
    if files:
        lines.append('evidence: %s and %s' % (files.get('json'), files.get('markdown')))
        if files.get('ledger'):
            lines.append('ledger: %s (run %s, record SHA-256 %s)' % (files['ledger'], files.get('ledger_run'),
                                                                     files.get('ledger_record_sha256')))
    else:
        lines.append('evidence: not written (set forced_logout_report_dir)')
    return lines


PLAN_VERSION = 1


def plan(close, users, domain, protected_users=None, max_sessions=None, created_at=None):
    """A reviewable plan from a check-mode ws_session result: who, where, and exactly which sessions."""
    if not isinstance(close, Mapping) or 'closed' not in close:
        raise OutcomeError('expected a ws_session result run in check mode')
    sessions = sorted(
        ({field: entry.get(field) for field in SUMMARY_FIELDS} for entry in close['closed']),
        key=lambda e: (str(e['session_id']), str(e['session_type'])))
    return {
        'version': PLAN_VERSION,
        'users': sorted(users or []),
        'domain': domain,
        'sites': close.get('sites'),
        'protected_users': sorted(protected_users or []),
        'max_sessions': None if max_sessions is None or max_sessions == '' else int(max_sessions),
        'sessions': sessions,
        'session_count': len(ids(sessions)),
        'created_at': created_at,
    }


def plan_hash(value):
    """SHA-256 of the plan's canonical JSON: what an approver signs off, and what apply checks."""
    if not isinstance(value, Mapping) or value.get('version') != PLAN_VERSION:
        raise OutcomeError('expected a forced_logout plan (version %d)' % PLAN_VERSION)
    canonical = json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


TOTAL_KEYS = ('users', 'before', 'closed', 'entries', 'closed_by_sweeps', 'already_gone', 'spared', 'remaining',
              'not_open', 'failed_targets')


def totals(results):
    """Counts over one or several clusters, from {cluster: forced_logout_result or None}.

    A cluster without a result (unreachable, or failed before the role could record anything) makes the
    whole run not ok. A count unknown in any cluster (no listing) makes the total unknown (None).
    """
    if not isinstance(results, Mapping):
        raise OutcomeError('expected a dict of cluster name to forced_logout_result')
    sums = dict.fromkeys(TOTAL_KEYS, 0)
    sites = {}
    failed = []
    dry_run = False
    tickets = []
    not_open = []
    for cluster, result in sorted(results.items()):
        if not isinstance(result, Mapping) or 'counts' not in result:
            failed.append(cluster)
            sums['before'] = sums['remaining'] = None
            continue
        counts = result['counts']
        for key in TOTAL_KEYS:
            if sums[key] is not None:
                sums[key] = None if counts.get(key, 0) is None else sums[key] + int(counts.get(key) or 0)
        for site, count in (counts.get('by_site') or {}).items():
            sites[site] = sites.get(site, 0) + int(count)
        dry_run = dry_run or bool(result.get('check_mode'))
        if result.get('ticket') and result['ticket'] not in tickets:
            tickets.append(result['ticket'])
        not_open += [name for name in result.get('not_open') or [] if name not in not_open]
        if result.get('outcome', 'failed' if result.get('failure') or counts.get('remaining') else 'contained') == 'failed':
            failed.append(cluster)
    sums.update(by_site=dict(sorted(sites.items())), clusters=len(results), failed_clusters=failed,
                ok=not failed, check_mode=dry_run, ticket=', '.join(tickets) or None, not_open_accounts=not_open)
    return sums


# ASCII digits only: str.isdigit() also accepts characters such as '²' that int() refuses.
WHOLE_NUMBER = re.compile(r'^\s*-?[0-9]+\s*$')
# (variable, lowest value, what it is) of the role's whole-number settings.
NUMBERS = (
    ('forced_logout_sweeps', 1, 'the number of passes'),
    ('forced_logout_concurrency', 1, 'the number of requests in flight'),
    ('forced_logout_sweep_interval', 0, 'seconds between passes'),
    ('forced_logout_wait_timeout', 0, 'seconds to wait for the sessions to close'),
    ('forced_logout_plan_margin', 0, 'sessions an apply may find beyond the approved plan'),
)


def whole_number(value):
    """``value`` as an int when it is one (also as text, as a survey gives it), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and WHOLE_NUMBER.match(value):
        return int(value)
    return None


def settings_problems(settings):
    """What is wrong with the forced_logout role's settings (a dict of its variables), one text per variable."""
    if not isinstance(settings, Mapping):
        raise OutcomeError('expected a dict of the role variables, got %s' % type(settings).__name__)
    problems = []
    domain = settings.get('forced_logout_domain')
    if not isinstance(domain, str) or not domain.strip():
        problems.append('forced_logout_domain: must be a non-empty domain name, got %r' % (domain,))
    for name, lowest, what in NUMBERS:
        if whole_number(settings.get(name)) is None or whole_number(settings.get(name)) < lowest:
            problems.append('%s: must be a whole number of %d or more (%s), got %r' % (name, lowest, what, settings.get(name)))
    limit = settings.get('forced_logout_max_sessions')
    if limit not in (None, '') and (whole_number(limit) is None or whole_number(limit) < 0):
        problems.append('forced_logout_max_sessions: must be unset or null (no limit), or 0 or more (0 refuses any '
                        'session), got %r' % (limit,))
    if settings.get('forced_logout_mode') == 'apply':
        if not settings.get('forced_logout_plan_hash'):
            problems.append('forced_logout_plan_hash: forced_logout_mode apply needs the approved hash of the plan')
        if not settings.get('forced_logout_plan_given'):
            problems.append('forced_logout_plan: forced_logout_mode apply needs the approved plan (forced_logout_plan, '
                            'or forced_logout_plan_file)')
    return problems
