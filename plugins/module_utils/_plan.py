# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Closing sessions, the pure part: what to send, and what happened. No I/O here.

The invariants of ws_session that are about the plan and the outcome live here, each in one function
(those about what was asked, names and identities, live in ``_request``):
- a DELETE carries exactly one path segment and the narrowest scope that covers its entries (``delete_target``);
- a guard refuses the whole plan, never a part of it (``Plan.refusals``);
- a session counts as closed only when a listing after the request no longer shows it, and only the
  caller's own account may keep one session open (``outcome``).

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import unicodedata

from ansible_collections.incoplax.platform.plugins.module_utils._request import (
    SESSION_TARGET,
    USER_TARGET,
    Protection,
    accounts_of,
    ambiguity,
    failed_target,
)
from ansible_collections.incoplax.platform.plugins.module_utils._sessions import (
    count_by_site,
    filter_sessions,
    group_by_id,
    index_by_user,
    session_id_problem,
    session_key,
    sort_entries,
    text_field,
)


class Target:
    """One request to make: a DELETE of a session id, or a logout POST of a user.

    ``scope`` is what the request carries as ``sites``: for a DELETE, the sites of exactly its entries.
    ``problem`` is set when the request must not be sent at all.
    """

    def __init__(self, kind, name, entries, scope, problem=None):
        self.kind = kind
        self.name = name
        self.entries = entries
        self.scope = scope
        self.problem = problem
        self.error = None
        self.not_found = False

    @property
    def failed(self):
        return self.problem is not None or self.error is not None


def delete_target(session_id, entries, sites):
    """The DELETE of ``session_id`` for ``entries``, with the narrowest scope that covers them."""
    problem = session_id_problem(session_id)
    entry_sites = [text_field(entry, 'site') for entry in entries]
    if problem is None and None in entry_sites:
        problem = 'the listing gives no site for this session, so no scope can be narrowed to it'
    scope = sorted(set(entry_sites) - {None})
    if isinstance(sites, list):
        scope = [site for site in scope if site in sites]
    if problem is None and not scope:
        problem = 'none of its sites is within sites, so no scope can be narrowed to it'
    return Target(SESSION_TARGET, session_id, entries, scope, problem and 'not sent: %s' % problem)


class Plan:
    """What to send. ``refusal`` says why nothing may be sent at all (a guard), or is None."""

    def __init__(self, targets, not_open, skipped_protected, warnings, refusals=()):
        self.targets = targets
        self.not_open = not_open
        self.skipped_protected = skipped_protected
        self.warnings = warnings
        self.refusals = list(refusals)

    @property
    def refusal(self):
        if not self.refusals:
            return None
        return '%s (nothing was closed)' % '; '.join(self.refusals)

    @property
    def entries(self):
        return [entry for target in self.targets for entry in target.entries]

    @property
    def session_count(self):
        return len({entry['session_id'] for target in self.targets if target.problem is None
                    for entry in target.entries})

    def refuse_above(self, max_sessions):
        if max_sessions is not None and self.session_count > max_sessions:
            self.refusals.append('max_sessions: %d sessions would be closed, more than max_sessions=%d. Narrow the '
                                 'targets or raise max_sessions' % (self.session_count, max_sessions))


def plan(before, request):
    """Decide what to send from the listing ``before``; guards refuse the whole plan, never part of it."""
    protection = Protection(request['protected'], before)
    warnings = ['protected_users: %s matches no account with an open session on these sites; check the spelling'
                % name for name in protection.unmatched]
    sites = request['sites']
    if request['users'] is not None:
        return _plan_users(before, request, protection, warnings)
    by_id = group_by_id(before)
    targets, not_open, skipped, refusals = [], [], [], []
    if request['session_ids'] is not None:
        for session_id in request['session_ids']:
            entries = by_id.get(session_id, [])
            owners = sorted({str(e.get('login')) for e in entries if protection.covers(e)})
            if owners:
                refusals.append('session_id: %s belongs to protected user %s; remove it from session_id'
                                % (session_id, ', '.join(owners)))
            if entries:
                targets.append(delete_target(session_id, entries, sites))
            else:
                not_open.append(session_id)
        return Plan(targets, not_open, skipped, warnings, refusals)
    matched = filter_sessions(before, request['match'])
    matched_sites = {}
    for entry in matched:
        matched_sites.setdefault(entry['session_id'], set()).add(text_field(entry, 'site'))
    for session_id, wanted_sites in matched_sites.items():
        # A DELETE closes every entry of its id on the sites it carries (http and websocket alike): those are
        # the target's entries, matched or not, and none of them may be protected.
        entries = [entry for entry in by_id[session_id] if text_field(entry, 'site') in wanted_sites]
        if any(protection.covers(entry) for entry in entries):
            skipped.extend(entries)
        else:
            targets.append(delete_target(session_id, entries, sites))
    return Plan(targets, not_open, skipped, warnings)


def _plan_users(before, request, protection, warnings):
    by_user = index_by_user(before)
    targets, not_open, covered, refusals = [], [], set(), []
    named = sorted(user for user in request['users'] if protection.covers_name(user))
    if named:
        refusals.append('user: %s listed in protected_users; remove %s from user'
                        % (', '.join(named), 'it' if len(named) == 1 else 'them'))
    for user in request['users']:
        entries = by_user.get((request['domain'], user), [])
        if not entries:
            not_open.append(user)
            continue
        accounts = accounts_of(entries)
        if len(accounts) > 1:
            refusals.append(ambiguity(user, request['domain'], accounts))
        owners = sorted({str(e.get('login')) for e in entries if protection.covers(e)})
        if owners and user not in named:
            refusals.append('user: %s is protected account %s (by login or user id); remove it from user'
                            % (user, ', '.join(owners)))
        ids = {entry['session_id'] for entry in entries}
        if not ids <= covered:
            # The same account named by login and by id is logged out once.
            targets.append(Target(USER_TARGET, user, entries, request['sites']))
            covered |= ids
    return Plan(targets, not_open, [], warnings, refusals)


def is_caller(target, caller):
    """Whether ``target`` is the account the credentials belong to (exact names: sparing must not err)."""
    if target.kind != USER_TARGET or not caller:
        return False
    caller = unicodedata.normalize('NFC', caller)
    return any(unicodedata.normalize('NFC', value) == caller for entry in target.entries
               for value in (text_field(entry, 'login'), text_field(entry, 'user_id')) if value is not None)


def entry_key(entry):
    """What identifies an entry across listings: its id and its site (a DELETE may close an id on one site only)."""
    return entry['session_id'], text_field(entry, 'site')


def listed_keys(listing):
    return {entry_key(entry) for entry in listing}


def still_listed(target, listed):
    """The distinct session ids of ``target`` that the listing keys ``listed`` still show."""
    return {entry['session_id'] for entry in target.entries if entry_key(entry) in listed}


def settled(target, listed, caller):
    """Whether nothing more is to be waited for: everything closed, or only the caller's own session left."""
    if target.failed and not target.not_found:
        return True
    allowed = 1 if is_caller(target, caller) else 0
    return len(still_listed(target, listed)) <= allowed


class Outcome:
    """Every planned entry sorted into exactly one of closed, already_gone, spared or remaining."""

    def __init__(self):
        self.closed, self.already_gone, self.spared, self.remaining = [], [], [], []
        self.failed_targets = []
        self.lone_survivors = []


def outcome(targets, after, check_mode, caller, confirmed=False):
    """Compare every target with the listing ``after``; in check mode, predict.

    ``confirmed``: the caller's lone session was seen to persist (``settle``), so it is the request's own
    session rather than one still propagating; only then is it spared.
    """
    result = Outcome()
    listed = None if check_mode else listed_keys(after)
    for target in targets:
        if target.problem is not None:
            result.failed_targets.append(failed_target(target.name, target.kind, target.problem))
            result.remaining.extend(target.entries)
            continue
        if check_mode:
            result.closed.extend(target.entries)
            continue
        still = still_listed(target, listed)
        if target.error is not None:
            result.failed_targets.append(failed_target(target.name, target.kind, str(target.error),
                                                       getattr(target.error, 'status', None)))
        elif target.not_found and still:
            result.failed_targets.append(failed_target(
                target.name, target.kind, 'DELETE answered 404 (not found) but the session is still listed, so it '
                'is not closed', 404))
        spare = None
        if target.error is None and target.kind == USER_TARGET and len(still) == 1:
            if not is_caller(target, caller):
                result.lone_survivors.append(target.name)
            elif confirmed:
                spare = next(iter(still))
        for entry in target.entries:
            if entry['session_id'] == spare and entry_key(entry) in listed:
                result.spared.append(entry)
            elif entry_key(entry) in listed:
                result.remaining.append(entry)
            elif target.not_found:
                result.already_gone.append(entry)
            else:
                result.closed.append(entry)
    return result


def diff_of(targets, remaining_entries, spared_entries):
    planned = [entry for target in targets for entry in target.entries]
    return {
        'before': {'sessions': [session_key(e) for e in sort_entries(planned)]},
        'after': {'sessions': [session_key(e) for e in sort_entries(remaining_entries + spared_entries)]},
    }


def distinct(entries):
    return len({entry['session_id'] for entry in entries})


def counts(the_plan, found, unverified=()):
    return {
        'before': distinct(the_plan.entries),
        'closed': distinct(found.closed),
        'total': distinct(found.closed),
        'entries': len(found.closed),
        'by_site': count_by_site(found.closed),
        'already_gone': distinct(found.already_gone),
        'remaining': distinct(found.remaining),
        'spared': distinct(found.spared),
        'unverified': distinct(unverified),
        'skipped_protected': distinct(the_plan.skipped_protected),
        'not_open': len(the_plan.not_open),
        'failed_targets': len(found.failed_targets),
    }


def describe_remaining(entries, wait_timeout):
    return '%d session(s) still open after %s s: %s' % (
        distinct(entries), wait_timeout,
        ', '.join(sorted({'%s (%s, %s)' % (e['session_id'], e.get('login'), e.get('site')) for e in entries})))


def refused(the_plan):
    """The outcome of a plan a guard refused: nothing sent, every targeted entry still open."""
    found = Outcome()
    found.remaining = the_plan.entries
    return found


def result_of(request, the_plan, found, caller, check_mode, wait, wait_timeout, diff_mode,
              unverified=None, verify_error=None):
    """The module result, built once for every way a run can end after a listing succeeded."""
    result = dict(
        changed=bool(found.closed) and the_plan.refusal is None,
        closed=sort_entries(found.closed),
        already_gone=sort_entries(found.already_gone),
        spared=sort_entries(found.spared),
        remaining=sort_entries(found.remaining),
        skipped_protected=sort_entries(the_plan.skipped_protected),
        failed_targets=found.failed_targets,
        not_open=the_plan.not_open,
        counts=counts(the_plan, found, unverified or ()),
        sites=request['sites'],
        caller=caller or None,
    )
    if diff_mode:
        result['diff'] = diff_of(the_plan.targets, found.remaining, found.spared)
    problems = []
    refusal = the_plan.refusal
    if refusal is not None:
        problems.append(refusal)
    if unverified is not None:
        result['unverified'] = sort_entries(unverified)
        result['changed'] = bool(unverified)
        problems.append('%d closing request(s) were sent, but listing the sessions afterwards failed, so nothing is '
                        'confirmed closed: %s. Run again to verify; it only acts on what is still open'
                        % (len([t for t in the_plan.targets if not t.failed]), verify_error))
    if found.failed_targets:
        problems.append('%d target(s) failed: %s' % (len(found.failed_targets), '; '.join(
            '%s %s: %s' % (t['type'], t['target'], t['error']) for t in found.failed_targets)))
    failed_ids = {e['session_id'] for t in the_plan.targets if t.error is not None or t.problem is not None
                  for e in t.entries}
    waited_for = [e for e in found.remaining if e['session_id'] not in failed_ids]
    if waited_for and refusal is None and wait:
        problems.append(describe_remaining(waited_for, wait_timeout))
    if found.lone_survivors and not caller:
        problems.append('the last session of %s stayed open: a logout spares the session making the request, so if '
                        'these credentials belong to that account, set caller (or INCOPLAX_CALLER) to it'
                        % ', '.join(found.lone_survivors))
    if problems:
        result.update(failed=True, msg='; '.join(problems))
    else:
        verb = 'would close' if check_mode else 'closed'
        result['msg'] = '%s %d session(s)' % (verb, result['counts']['closed'])
    return result


def not_open_warning(kind, names):
    """The warning for targets (``kind``: user or session_id) that have no open session."""
    return 'no open session found on these sites for %s: %s (a typo, or already logged out?)' % (kind, ', '.join(names))


def warnings_of(request, the_plan, found, wait):
    warnings = list(request['warnings']) + list(the_plan.warnings)
    if the_plan.not_open:
        warnings.append(not_open_warning('user' if request['users'] is not None else 'session_id', the_plan.not_open))
    if found.remaining and not wait:
        warnings.append('wait is false and %d targeted session(s) were still open after closing; see remaining'
                        % distinct(found.remaining))
    return warnings
