# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The forced_logout role's record: its result from the steps' results, the evidence files, the ledger record and
the facts, as the actions forced_logout_run and forced_logout_record set them on every supported ansible-core.

Private plugin_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import gc
import getpass
import json
import os
import re
import tempfile
import time

from collections.abc import Mapping

from ansible import constants as C
from ansible.errors import AnsibleAction, AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.incoplax.platform.plugins.plugin_utils import _evidence, _forced_logout

try:  # ansible-core 2.21 and later: actions may set facts with set_fact precedence
    from ansible.plugins.action import VariableLayer
except ImportError:
    VariableLayer = None

RESULT_FACT = 'forced_logout_result'
FILES_FACT = 'forced_logout_evidence_files'
SUMMARY_FACT = 'forced_logout_summary'
PLAN_FACT = 'forced_logout_plan'
PLAN_HASH_FACT = 'forced_logout_plan_hash'
OUTCOME_FACT = 'forced_logout_outcome'
FACTS_FILE_FACT = 'forced_logout_facts_file'
# Lists of session entries (from the platform, tens of thousands at scale) in the result and the plan.
ENTRY_LISTS = frozenset(_forced_logout.ENTRY_LISTS + ('sessions',))
# The options of an action that records a forced logout: where its evidence goes and how its facts are handed over.
RECORD_OPTIONS = dict(
    report_dir=dict(type='str'),
    report_name=dict(type='str'),
    cluster=dict(type='str'),
    facts_file=dict(type='bool', default=False),
)
AWX_VARS = (('awx_job_id', 'tower_job_id'), ('awx_job_template_name', 'tower_job_template_name'),
            ('awx_user_name', 'tower_user_name'))


def can_set_facts(action):
    """Whether this ansible-core lets an action other than set_fact set facts at set_fact precedence (2.21+)."""
    return VariableLayer is not None and hasattr(action, 'register_host_variables')


def copies_host_facts(version=ANSIBLE_CORE_VERSION):
    """Whether this ansible-core deep-copies (wrap_var) every host fact on every task: before 2.19."""
    return tuple(int(part) for part in re.findall(r'\d+', version)[:2]) < (2, 19)


def collection_version():
    """The collection's version: MANIFEST.json when installed, galaxy.yml in a source tree, else None."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        with open(os.path.join(root, 'MANIFEST.json')) as stream:
            return json.load(stream)['collection_info']['version']
    except (IOError, OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(os.path.join(root, 'galaxy.yml')) as stream:
            for line in stream:
                if line.startswith('version:'):
                    return line.split(':', 1)[1].strip().strip('\'"') or None
    except (IOError, OSError):
        pass
    return None


def operator(task_vars):
    """Who ran it: the controller user, and the AWX job, template and launching user when AWX says so."""
    try:
        user = getpass.getuser()
    except Exception:  # pylint: disable=broad-except  # no user name is not an error worth failing the record
        user = None
    found = {'user': user}
    for name, old_name in AWX_VARS:
        value = task_vars.get(name, task_vars.get(old_name))
        if value is not None and value != '':
            found[name] = value
    return found


# Text left unmarked in the facts file: letters, digits and the punctuation of ids, names, addresses and dates, or the
# Erlang process id of a websocket connection (``<0.11647.54>``: its digits and dots make at most a number). Neither
# the default delimiters nor a ``#jinja2:`` header can start in it (ansible-core before 2.19 templates text that begins
# with one, with delimiters of its own), nor those template tasks are given (``[[``, ``[%``, ``<%``). Even delimiters
# made of its own characters would leave it no function call and no filter (no parenthesis, pipe or quote): at most
# a variable read or a Jinja test such as ``is defined``.
_PLAIN_CHARACTERS = r'\w.:@/+, -'  # the hyphen last: it stays a hyphen in a character class
_PLAIN = r'[%s]*|<[0-9]+\.[0-9]+\.[0-9]+>' % _PLAIN_CHARACTERS
PLAIN_TEXT = re.compile(_PLAIN)
# The JSON text of a session entry every string of which (key or value) is such text: outside its strings, only
# structure, numbers, true, false and null. The flat form is tried first: most entries are flat, and it is faster.
FLAT_PLAIN_ENTRY_JSON = re.compile(r'\{["%s]*\}' % _PLAIN_CHARACTERS)
PLAIN_ENTRY_JSON = re.compile(r'(?:"(?:%s)"|[^"\\])*' % _PLAIN)


def unsafe_marked(value, every=True):
    """``value`` for a JSON file that include_vars reads, with strings marked unsafe (``__ansible_unsafe``).

    Data read from a vars file is trusted as a template; text that came from the platform must not be. Every
    string is marked, except in lists of session entries, where only a string that is not plain text
    (``PLAIN_TEXT``) is: marking 100,000 entries would double the file and the time to read it.
    """
    if isinstance(value, str):
        return {'__ansible_unsafe': value} if every or not PLAIN_TEXT.fullmatch(value) else value
    if isinstance(value, Mapping):
        return dict((key, unsafe_marked(item, every and key not in ENTRY_LISTS)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [unsafe_marked(item, every) for item in value]
    return value


def facts_json(facts):
    """The JSON text of ``unsafe_marked(facts)``, without walking every session entry in Python.

    Each entry is encoded once (``before`` and ``closed`` share theirs) by the C encoder, and kept as it is when its
    text is that of an entry of plain text (``PLAIN_ENTRY_JSON``: a quote or a backslash in a string, or any other
    character, fails it): then there is nothing to mark. The others go through ``unsafe_marked``.
    """
    encode = json.JSONEncoder(separators=(',', ':')).encode
    entries = {}

    def entry(item):
        text = entries.get(id(item))
        if text is None:
            text = encode(item)
            if not FLAT_PLAIN_ENTRY_JSON.fullmatch(text) and not PLAIN_ENTRY_JSON.fullmatch(text):
                text = encode(unsafe_marked(item, every=False))
            entries[id(item)] = text
        return text

    def member(key):
        if not isinstance(key, str):
            raise TypeError('a key of the facts is not a string: %r' % (key,))
        return encode(key)

    def marked(value, every):
        if isinstance(value, Mapping):
            if not every:
                return entry(value)
            return '{%s}' % ','.join('%s:%s' % (member(key), marked(item, key not in ENTRY_LISTS))
                                     for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return '[%s]' % ','.join(marked(item, every) for item in value)
        return encode(unsafe_marked(value, every))

    return marked(facts, True)


def write_facts_file(facts):
    """The facts in a new private JSON file (0600) in ansible-core's local temporary directory, which
    ansible-playbook removes when it ends; its path."""
    fd, path = tempfile.mkstemp(prefix='forced_logout_facts-', suffix='.json', dir=C.DEFAULT_LOCAL_TMP)
    with os.fdopen(fd, 'w') as stream:
        stream.write(facts_json(facts))
    return path


def utc_stamp(now=None):
    return time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))


def with_entry_tuples(facts):
    """The facts with every non-empty list of session entries as a tuple, for ansible-core 2.19 and 2.20.

    Those versions copy every host fact list by list and dict by dict on every later task (``namespace_facts`` and
    ``clean_facts``, twice in the worker too) and for the callbacks, but pass a tuple on as it is: with tens of
    thousands of entries, that is a third of a second per task. Jinja reads a tuple as it reads a list (length, loops,
    indexing, filters, ``to_json``). An empty list stays a list, so that ``remaining == []`` holds as on every core.
    """
    frozen = dict(facts)
    for name in (RESULT_FACT, PLAN_FACT):
        if isinstance(frozen.get(name), Mapping):
            frozen[name] = dict((key, tuple(value) if key in ENTRY_LISTS and isinstance(value, list) and value else value)
                                for key, value in frozen[name].items())
    return frozen


def without_entry_lists(facts):
    """The facts that hold no list of session entries: what a task result may show cheaply."""
    return dict((key, value) for key, value in facts.items() if key not in (RESULT_FACT, PLAN_FACT))


def write_evidence(args, report, plan):
    """Write the run's new evidence files and append the ledger record; returns the files fact."""
    directory = os.path.expanduser(os.path.expandvars(args['report_dir']))
    base = _evidence.safe_name(args['report_name'])
    contents = {'json': _forced_logout.evidence_json(report),
                'md': _forced_logout.evidence_markdown(report, args['cluster'])}
    if plan is not None:
        contents['plan.json'] = json.dumps(plan, indent=2, sort_keys=True) + '\n'
    _evidence.make_dirs(directory)
    paths, digests = _evidence.write_new(directory, base, utc_stamp(), contents)
    ledger = os.path.join(directory, '%s.ledger.jsonl' % base)
    record, record_sha = _evidence.append_record(ledger, {
        'ticket': report['ticket'], 'name': base, 'recorded_at': report['finished_at'], 'mode': report['mode'],
        'dry_run': report['check_mode'], 'outcome': report['outcome'], 'counts': report['counts'],
        'platform': report['platform'], 'caller': report['caller'], 'operator': report['operator'],
        'files': {('markdown' if ext == 'md' else 'plan' if ext == 'plan.json' else ext):
                  {'name': os.path.basename(path), 'sha256': digests[ext]} for ext, path in paths.items()},
    })
    # The fact names the files under report_dir as given (~ and $VARS as written).
    shown = {('markdown' if ext == 'md' else 'plan' if ext == 'plan.json' else ext):
             '%s/%s' % (args['report_dir'].rstrip('/') or '/', os.path.basename(path)) for ext, path in paths.items()}
    shown.update(ledger='%s/%s' % (args['report_dir'].rstrip('/') or '/', os.path.basename(ledger)),
                 ledger_run=record['run'], ledger_record_sha256=record_sha)
    return shown


def record(action, args, steps, dry_run, task_vars, result):
    """Build forced_logout_result from ``steps`` (close, verify, last_sweep, swept and failure), write the evidence
    with ``args['report_dir']``, and set the facts through ``action`` (the running action plugin); returns
    ``result`` completed. ``args``: the record options of forced_logout_record (users, domain, sites, ticket, mode,
    started_at, finished_at, protected_users, max_sessions, passes, platform, caller, report_dir, report_name,
    cluster, facts_file).
    """
    name = action._task.action.rpartition('.')[2]
    close = steps.get('close') or {}
    try:
        report = _forced_logout.report({
            'close': close, 'verify': steps.get('verify'), 'last_sweep': steps.get('last_sweep'),
            'swept': steps.get('swept'), 'failure': steps.get('failure'),
            'users': args['users'], 'domain': args['domain'], 'sites': args['sites'], 'ticket': args['ticket'],
            'mode': args['mode'], 'dry_run': dry_run, 'started_at': args['started_at'],
            'finished_at': args['finished_at'], 'protected_users': args['protected_users'], 'passes': args['passes'],
            'platform': args['platform'], 'caller': args['caller'],
            'operator': operator(task_vars),
            'versions': {'collection': collection_version(), 'ansible_core': ANSIBLE_CORE_VERSION},
        })
        plan = None
        if args['mode'] == 'plan' and report['outcome'] != 'failed':
            plan = _forced_logout.plan(close, args['users'], args['domain'], args['protected_users'],
                                       args['max_sessions'], args['started_at'])
    except _forced_logout.OutcomeError as exc:
        problem = '%s: %s' % (name, exc)
    else:
        problem = None
    if problem:
        raise AnsibleActionFail(problem)  # outside the handler: no traceback for an input error
    facts = {RESULT_FACT: report}
    if plan is not None:
        facts.update({PLAN_FACT: plan, PLAN_HASH_FACT: _forced_logout.plan_hash(plan)})
    failed = None
    files = None
    if args['report_dir']:
        try:
            files = write_evidence(args, report, plan)
        except OSError as exc:
            failed = '%s: cannot write the evidence in %s: %s' % (name, args['report_dir'], exc)
        else:
            facts[FILES_FACT] = files
    facts[SUMMARY_FACT] = _forced_logout.summary(report, files, args['cluster'])
    outcome = _forced_logout.without_entries(report)
    if args['facts_file']:
        facts[OUTCOME_FACT] = outcome
        facts[FACTS_FILE_FACT] = None
    if can_set_facts(action):
        # Set like set_fact does (never cached as host facts). The task result shows them without the lists of
        # session entries: ansible-core copies a result value by value for the callbacks (a third of a second at a
        # thousand accounts), and those lists are in the facts and the evidence.
        action.register_host_variables({}, VariableLayer.CACHEABLE_FACT)
        action.register_host_variables(facts, VariableLayer.EPHEMERAL_FACT)
        facts = dict(without_entry_lists(facts), **{OUTCOME_FACT: outcome})
    elif args['facts_file'] and not failed and copies_host_facts():
        # Host facts are deep-copied on every later task: the role sets them with include_vars instead.
        try:
            # Not the path itself: include_vars would set it at a precedence above the next run's host fact. The
            # facts without lists of entries are returned too (cheap host facts), for the callbacks: the role reads
            # the file with no_log, since its result would be deep-copied for them.
            path = write_facts_file(dict((k, v) for k, v in facts.items() if k != FACTS_FILE_FACT))
            facts = dict(without_entry_lists(facts), **{FACTS_FILE_FACT: path})
        except (OSError, TypeError, ValueError) as exc:
            result.setdefault('warnings', []).append('%s: facts returned as ansible_facts, no facts file: %s' % (name, exc))
    elif not copies_host_facts():
        facts = with_entry_tuples(facts)
        if not failed:
            # The callbacks would get a copy of the result, converted value by value (about half a second at a
            # thousand accounts), and the facts are its only way to the controller here: they get what no_log leaves
            # (changed, warnings). The next task of the role prints forced_logout_summary; set_stats has the counts.
            result['_ansible_no_log'] = True
    # Before 2.21 this is how they become (host) facts.
    result['ansible_facts'] = facts
    if report['not_open']:
        # Shown at default verbosity: a typo in an account name must not pass for a containment.
        result.setdefault('warnings', []).append('forced_logout: no open session found for %s (a typo, or already '
                                                 'logged out?)' % ', '.join(report['not_open']))
    if failed:
        result.update(failed=True, msg=failed)
    return result


@contextlib.contextmanager
def cyclic_gc_paused():
    """The cyclic garbage collector off while a forced logout runs, as it was again afterwards.

    The run allocates hundreds of thousands of objects that live until it ends (the listings, the result, the evidence),
    and a full collection also walks every object the worker inherited from the controller: about 0.05 s of pauses at
    a thousand accounts, all for nothing. Reference counting still frees whatever is not in a cycle.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class RecordingAction(ActionBase):
    """What the actions that record a forced logout share: no files to transfer, their own effective check mode,
    the report options' check, and failures as task results."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def _in_check_mode(self):
        """This task's effective check mode, however it was asked for (the task inherits it from play, block, role)."""
        return bool(getattr(self._task, 'check_mode', False)) or bool(getattr(self._play_context, 'check_mode', False))

    def _refuse_unnamed_report(self, args):
        if args['report_dir'] and not args['report_name']:
            raise AnsibleActionFail('%s: report_name is required with report_dir' % self._task.action.rpartition('.')[2])

    def _run(self, task_vars, result):
        """The action's work; may raise AnsibleAction."""
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(RecordingAction, self).run(tmp, task_vars)
        del tmp
        with cyclic_gc_paused():
            try:
                return self._run(task_vars, result)
            except AnsibleAction as failure:
                # ansible-core before 2.19 treats an AnsibleAction leaving run() as a crash: the play's rescue then
                # has no ansible_failed_result. The failure becomes the task's result here, its text only (2.16's
                # AnsibleActionFail would also carry an empty traceback).
                result.update(failed=True, msg=failure.message)
                return result
