# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Append-only evidence: safe file names, files that are never overwritten, and a hash-chained ledger per ticket.

Each run writes new files ``<name>.<UTC time>[-n].<ext>`` created with O_EXCL, and appends one record to
``<name>.ledger.jsonl``. Each record carries the SHA-256 of the ledger line before it and of the files it
lists, so removing, editing or reordering a record (or editing an evidence file) breaks the chain.
A chain cannot tell that its LAST record was edited or removed: compare its hash (``record_sha256``, shown
in the run's output and in the AWX job) with the one given to the verification.

Private plugin_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import json
import os
import re

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

DIR_MODE = 0o750
FILE_MODE = 0o640
LEDGER_VERSION = 1
UNSAFE = re.compile(r'[^A-Za-z0-9._-]')
MAX_NAME = 120


def safe_name(name, fallback='forced-logout'):
    """A file name part that stays in its directory: letters, digits, ``.``, ``_`` and ``-`` only, no leading dot.

    Every other character (``/``, spaces, non-ASCII letters) becomes ``_`` and leading dots are dropped, so
    ``../x`` gives ``_x`` and ``/abs`` gives ``_abs``; the result is never ``.`` or ``..``, and an empty one
    becomes ``fallback``.
    """
    text = UNSAFE.sub('_', str(name if name is not None else '').strip())
    text = text.lstrip('.')
    text = text[:MAX_NAME]
    return text or fallback


def make_dirs(path, mode=DIR_MODE):
    """Create ``path`` and its missing parents with ``mode`` (existing directories keep theirs, except ``path``)."""
    missing = []
    current = path
    while current and not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, mode)
        except OSError as exc:
            if exc.errno != errno.EEXIST or not os.path.isdir(directory):
                raise
        os.chmod(directory, mode)
    if (os.stat(path).st_mode & 0o7777) != mode:
        os.chmod(path, mode)


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def _create(path, data, mode=FILE_MODE):
    """Create ``path`` with ``data``; raises FileExistsError (never overwrites, never truncates)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), mode)
    try:
        os.fchmod(handle, mode)
        view = memoryview(data)
        while view:
            written = os.write(handle, view)
            view = view[written:]
        os.fsync(handle)
    finally:
        os.close(handle)


def write_new(directory, base, stamp, contents):
    """Write ``contents`` ({extension: text}) as new files ``<base>.<stamp>[-n].<ext>``, none of which existed.

    Returns ({extension: path}, {extension: sha256}). The suffix ``-n`` is the first that is free for every
    extension at once; a file created by another run meanwhile makes this run take the next one.
    """
    encoded = {ext: text.encode('utf-8', 'surrogateescape') for ext, text in contents.items()}
    for attempt in range(1000):
        stem = '%s.%s%s' % (base, stamp, '' if attempt == 0 else '-%d' % attempt)
        paths = {ext: os.path.join(directory, '%s.%s' % (stem, ext)) for ext in encoded}
        if any(os.path.lexists(path) for path in paths.values()):
            continue
        created = []
        try:
            for ext, path in paths.items():
                _create(path, encoded[ext])
                created.append(path)
        except FileExistsError:
            for path in created:  # only files this call created, a moment ago
                os.unlink(path)
            continue
        return paths, {ext: sha256_bytes(data) for ext, data in encoded.items()}
    raise OSError(errno.EEXIST, 'no free evidence file name for %s.%s in %s' % (base, stamp, directory))


def _line_hash(line):
    return sha256_bytes(line.encode('utf-8'))


def append_record(ledger_path, record):
    """Append ``record`` to the ledger, chained to the last line; returns the record as written, with its hash.

    The ledger is locked while its last line is read and the new one appended, so two runs of one ticket at
    once still make one chain. The file is opened for appending only: earlier lines are never rewritten.
    """
    handle = os.open(ledger_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0), FILE_MODE)
    try:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        with open(ledger_path, 'rb') as stream:
            lines = [line for line in stream.read().decode('utf-8', 'surrogateescape').split('\n') if line]
        full = dict(record, version=LEDGER_VERSION, run=len(lines) + 1,
                    previous_sha256=_line_hash(lines[-1]) if lines else None)
        line = json.dumps(full, sort_keys=True, separators=(',', ':'), ensure_ascii=True, default=str)
        data = (line + '\n').encode('utf-8')
        os.write(handle, data)
        os.fsync(handle)
        if (os.fstat(handle).st_mode & 0o7777) != FILE_MODE:
            os.fchmod(handle, FILE_MODE)
    finally:
        os.close(handle)
    return full, _line_hash(line)


def _bad(result, number, reason):
    result.update(ok=False, first_bad={'line': number, 'reason': reason})
    return result


def verify(text, evidence_dir=None, last_sha256=None):
    """Check a ledger's chain (and, with ``evidence_dir``, the files it lists); report the first bad record.

    Returns {ok, records, first_bad: {line, reason} or None, last_sha256}.
    """
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'surrogateescape')
    if not isinstance(text, str):
        raise ValueError('expected the ledger\'s text (lookup(\'ansible.builtin.file\', path)), got %s' % type(text).__name__)
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    result = {'ok': True, 'records': len(lines), 'first_bad': None, 'last_sha256': None}
    if not lines:
        return _bad(result, 0, 'the ledger is empty')
    previous = None
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            return _bad(result, number, 'not a JSON record')
        if not isinstance(record, dict) or record.get('version') != LEDGER_VERSION:
            return _bad(result, number, 'not a ledger record (version %d)' % LEDGER_VERSION)
        if record.get('run') != number:
            return _bad(result, number, 'run %r where run %d was expected: a record was removed, added or moved'
                        % (record.get('run'), number))
        if record.get('previous_sha256') != previous:
            return _bad(result, number, 'previous_sha256 does not match the record before it: that record was edited, '
                                        'removed or moved')
        if evidence_dir is not None:
            for ext, listed in sorted((record.get('files') or {}).items()):
                name = listed.get('name') if isinstance(listed, dict) else None
                if not name or safe_name(name) != name:
                    return _bad(result, number, '%s file name %r is not a plain file name' % (ext, name))
                path = os.path.join(evidence_dir, name)
                try:
                    with open(path, 'rb') as stream:
                        digest = sha256_bytes(stream.read())
                except (IOError, OSError) as exc:
                    return _bad(result, number, 'cannot read the %s file %s: %s' % (ext, name, exc.strerror or exc))
                if digest != listed.get('sha256'):
                    return _bad(result, number, 'the %s file %s was changed: its SHA-256 differs from the record' % (ext, name))
        previous = _line_hash(line)
    result['last_sha256'] = previous
    if last_sha256 and last_sha256 != previous:
        return _bad(result, len(lines), 'the last record\'s SHA-256 is %s, not the expected %s: records were removed '
                                        'from the end or the last one was edited' % (previous, last_sha256))
    return result
