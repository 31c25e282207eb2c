# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from hypothesis import given, settings, strategies as st

from ansible_collections.incoplax.platform.plugins.plugin_utils import _evidence


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


@pytest.mark.parametrize('name, safe', [
    ('INC-1234', 'INC-1234'),
    ('../x', '_x'),
    ('../../etc/passwd', '_.._etc_passwd'),
    ('/abs', '_abs'),
    ('', 'forced-logout'),
    ('   ', 'forced-logout'),
    ('.', 'forced-logout'),
    ('..', 'forced-logout'),
    ('.hidden', 'hidden'),
    ('josé', 'jos_'),
    ('INC 1\n2', 'INC_1_2'),
    (None, 'forced-logout'),
])
def test_safe_name(name, safe):
    assert _evidence.safe_name(name) == safe


@given(st.text(max_size=300))
def test_safe_name_never_leaves_its_directory(name):
    safe = _evidence.safe_name(name)
    assert safe and safe not in ('.', '..') and not safe.startswith('.')
    assert os.path.basename(safe) == safe and '/' not in safe and '\x00' not in safe
    assert all(c.isascii() and (c.isalnum() or c in '._-') for c in safe)
    assert len(safe) <= _evidence.MAX_NAME


def write(directory, base='INC-1', stamp='20261128T100000Z', text='x'):
    return _evidence.write_new(str(directory), base, stamp, {'json': text + '{}', 'md': text + '#'})


def test_write_new_never_overwrites(tmp_path):
    first, digests = write(tmp_path, text='first')
    second, _digests = write(tmp_path, text='second')
    third, _digests = write(tmp_path, text='third')
    assert os.path.basename(first['json']) == 'INC-1.20261128T100000Z.json'
    assert os.path.basename(second['json']) == 'INC-1.20261128T100000Z-1.json'
    assert os.path.basename(third['md']) == 'INC-1.20261128T100000Z-2.md'
    assert open(first['json']).read() == 'first{}' and open(second['json']).read() == 'second{}'
    assert digests['json'] == _evidence.sha256_bytes(b'first{}')
    assert mode_of(first['json']) == mode_of(third['md']) == 0o640


def test_write_new_skips_a_stem_when_any_of_its_files_exists(tmp_path):
    (tmp_path / 'INC-1.20261128T100000Z.md').write_text('someone else')
    paths, _digests = write(tmp_path)
    assert os.path.basename(paths['json']) == 'INC-1.20261128T100000Z-1.json'
    assert (tmp_path / 'INC-1.20261128T100000Z.md').read_text() == 'someone else'
    assert not (tmp_path / 'INC-1.20261128T100000Z.json').exists()


def test_write_new_never_follows_a_planted_symlink(tmp_path):
    target = tmp_path / 'target'
    target.write_text('keep')
    (tmp_path / 'INC-1.20261128T100000Z.json').symlink_to(target)
    paths, _digests = write(tmp_path)
    assert target.read_text() == 'keep' and os.path.basename(paths['json']).endswith('-1.json')


def test_make_dirs_modes(tmp_path):
    _evidence.make_dirs(str(tmp_path / 'a' / 'b'))
    assert mode_of(tmp_path / 'a') == mode_of(tmp_path / 'a' / 'b') == 0o750


def ledger_of(tmp_path, runs=3, with_files=True):
    path = str(tmp_path / 'INC-1.ledger.jsonl')
    hashes = []
    for index in range(runs):
        files = {}
        if with_files:
            paths, digests = write(tmp_path, text='run%d' % index)
            files = {ext: {'name': os.path.basename(p), 'sha256': digests[ext]} for ext, p in paths.items()}
        record, digest = _evidence.append_record(path, {'ticket': 'INC-1', 'files': files, 'n': index})
        assert record['run'] == index + 1
        hashes.append(digest)
    return path, hashes


def read_lines(path):
    with open(path) as stream:
        return stream.read().splitlines()


def write_lines(path, lines):
    with open(path, 'w') as stream:
        stream.write('\n'.join(lines) + '\n')


def test_ledger_chain_verifies(tmp_path):
    path, hashes = ledger_of(tmp_path)
    check = _evidence.verify(open(path).read(), str(tmp_path), hashes[-1])
    assert check == {'ok': True, 'records': 3, 'first_bad': None, 'last_sha256': hashes[-1]}
    records = [json.loads(line) for line in read_lines(path)]
    assert records[0]['previous_sha256'] is None
    assert [r['run'] for r in records] == [1, 2, 3]
    assert mode_of(path) == 0o640


def test_ledger_detects_an_edited_record(tmp_path):
    path, _hashes = ledger_of(tmp_path)
    lines = read_lines(path)
    lines[0] = lines[0].replace('"n":0', '"n":7')
    write_lines(path, lines)
    check = _evidence.verify(open(path).read())
    assert check['ok'] is False and check['first_bad']['line'] == 2 and 'previous_sha256' in check['first_bad']['reason']


def test_ledger_detects_a_removed_record(tmp_path):
    path, _hashes = ledger_of(tmp_path)
    lines = read_lines(path)
    write_lines(path, [lines[0], lines[2]])
    check = _evidence.verify(open(path).read())
    assert check['ok'] is False and check['first_bad']['line'] == 2 and 'removed' in check['first_bad']['reason']
    write_lines(path, lines[1:])
    assert _evidence.verify(open(path).read())['first_bad']['line'] == 1


def test_ledger_detects_reordered_records(tmp_path):
    path, _hashes = ledger_of(tmp_path)
    lines = read_lines(path)
    write_lines(path, [lines[0], lines[2], lines[1]])
    check = _evidence.verify(open(path).read())
    assert check['ok'] is False and check['first_bad']['line'] == 2


def test_ledger_end_needs_the_last_hash(tmp_path):
    path, hashes = ledger_of(tmp_path)
    write_lines(path, read_lines(path)[:2])
    # The chain alone still holds: only the expected last hash shows the removal.
    assert _evidence.verify(open(path).read())['ok'] is True
    check = _evidence.verify(open(path).read(), last_sha256=hashes[-1])
    assert check['ok'] is False and 'removed from the end' in check['first_bad']['reason']


def test_ledger_detects_an_edited_or_missing_evidence_file(tmp_path):
    path, _hashes = ledger_of(tmp_path)
    record = json.loads(read_lines(path)[1])
    evidence = tmp_path / record['files']['json']['name']
    evidence.write_text('edited')
    check = _evidence.verify(open(path).read(), str(tmp_path))
    assert check['ok'] is False and check['first_bad']['line'] == 2 and 'was changed' in check['first_bad']['reason']
    evidence.unlink()
    assert 'cannot read' in _evidence.verify(open(path).read(), str(tmp_path))['first_bad']['reason']
    # Without the directory, only the chain is checked.
    assert _evidence.verify(open(path).read())['ok'] is True


def test_ledger_refuses_a_listed_name_that_leaves_the_directory(tmp_path):
    path = str(tmp_path / 'L.ledger.jsonl')
    _evidence.append_record(path, {'files': {'json': {'name': '../../etc/passwd', 'sha256': 'x'}}})
    check = _evidence.verify(open(path).read(), str(tmp_path))
    assert check['ok'] is False and 'not a plain file name' in check['first_bad']['reason']


@pytest.mark.parametrize('text, reason', [
    ('', 'empty'),
    ('not json\n', 'not a JSON record'),
    ('[1]\n', 'not a ledger record'),
    ('{"version": 1, "run": 2, "previous_sha256": null}\n', 'run 2 where run 1'),
])
def test_ledger_rejects_garbage(text, reason):
    check = _evidence.verify(text)
    assert check['ok'] is False and reason in check['first_bad']['reason']


def test_verify_wants_text():
    with pytest.raises(ValueError, match='ledger'):
        _evidence.verify(['a'])


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_any_single_change_to_a_chained_ledger_is_found(tmp_path_factory, data):
    tmp_path = tmp_path_factory.mktemp('ledger')
    path, _hashes = ledger_of(tmp_path, runs=4, with_files=False)
    lines = read_lines(path)
    index = data.draw(st.integers(0, 2))  # any record but the last: the chain covers those
    kind = data.draw(st.sampled_from(['edit', 'remove', 'swap']))
    if kind == 'edit':
        lines[index] = lines[index].replace('"ticket":"INC-1"', '"ticket":"INC-2"')
    elif kind == 'remove':
        del lines[index]
    else:
        lines[index], lines[index + 1] = lines[index + 1], lines[index]
    check = _evidence.verify('\n'.join(lines) + '\n')
    assert check['ok'] is False and check['first_bad']['line'] <= index + 2
