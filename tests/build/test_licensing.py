# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Licensing, REUSE style: every file of the tree says under which licence it is, and every licence named has its
text in LICENSES/.

"Source file" here means every file that can carry a comment: Python, shell, YAML, Jinja, Makefile, config and
requirement input files (see ``needs_header``). Each carries an ``SPDX-License-Identifier`` header in its first
lines. The files that cannot carry one, or are written by a tool (Markdown, reStructuredText, JSON, the changelog
data and fragments, the uv lock files), get theirs from REUSE.toml. ``reuse lint`` (the REUSE project's own tool,
offline) checks the whole tree on top of that.
"""

# The checks below quote SPDX tags in strings: the REUSE tool must not read them as this file's licence.
# REUSE-IgnoreStart

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
HEADER_LINES = 12
SOURCE_EXTENSIONS = ('.py', '.sh', '.yml', '.yaml', '.j2', '.cfg', '.in', '.toml')
SOURCE_NAMES = ('Makefile', '.ansible-lint', '.gitignore')
SPDX = re.compile(r'SPDX-License-Identifier:\s*([^\n#]*?)\s*(?:#\}|-->|\*/)?\s*$', re.MULTILINE)
NOT_IDS = ('AND', 'OR', 'WITH')


def needs_header(path):
    """True for a file that must name its licence in an SPDX-License-Identifier header of its own."""
    name = os.path.basename(path)
    if path.startswith('changelogs/') or path.startswith('LICENSES/'):
        return False  # changelog.yaml is written by antsibull-changelog, fragments are data: REUSE.toml covers them
    if fnmatch.fnmatch(name, 'requirements-*.txt'):
        return False  # written by uv pip compile
    return (name in SOURCE_NAMES or path.endswith(SOURCE_EXTENSIONS) or path == 'meta/ee-requirements.txt'
            or path.startswith('.ci/'))


def _ignored(path, patterns):
    for pattern in patterns:
        anchored = pattern.startswith('/')
        pattern = pattern.strip('/')
        if anchored or '/' in pattern:
            if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + '/'):
                return True
        elif any(fnmatch.fnmatch(part, pattern) for part in path.split('/')):
            return True
    return False


def tree_files(root):
    """The files of the tree: git's view (tracked plus untracked, not ignored) in a checkout; else every file
    that .gitignore does not exclude (the suite runs on a copy without .git)."""
    if os.path.exists(os.path.join(root, '.git')):
        listing = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard', '-z'], cwd=root,
                                 stdout=subprocess.PIPE, check=True).stdout.decode('utf-8')
        return sorted(set(path for path in listing.split('\0') if path and os.path.isfile(os.path.join(root, path))))
    patterns = ['.git']
    if os.path.isfile(os.path.join(root, '.gitignore')):
        with open(os.path.join(root, '.gitignore')) as handle:
            patterns += [line.strip() for line in handle if line.strip() and not line.startswith('#')]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root).replace(os.sep, '/')
        rel = '' if rel == '.' else rel + '/'
        dirnames[:] = [name for name in dirnames if not _ignored(rel + name, patterns)]
        found += [rel + name for name in filenames if not _ignored(rel + name, patterns)]
    return sorted(found)


def licence_ids(expression):
    return [token for token in re.split(r'[\s()]+', expression) if token and token not in NOT_IDS]


def header_expressions(root, path):
    """The SPDX licence expressions in the first HEADER_LINES lines of a file."""
    with open(os.path.join(root, path), encoding='utf-8', errors='replace') as handle:
        head = ''.join(line for _index, line in zip(range(HEADER_LINES), handle))
    return [match.group(1) for match in SPDX.finditer(head)]


def missing_headers(root, files):
    return [path for path in files if needs_header(path) and not header_expressions(root, path)]


def reuse_toml_ids(root):
    path = os.path.join(root, 'REUSE.toml')
    with open(path) as handle:
        text = handle.read()
    return [licence for expression in re.findall(r'^SPDX-License-Identifier\s*=\s*"([^"]+)"', text, re.MULTILINE)
            for licence in licence_ids(expression)]


@pytest.fixture(scope='module')
def files():
    found = tree_files(ROOT)
    assert 'galaxy.yml' in found and 'plugins/modules/ws_session.py' in found, found[:20]
    return found


def test_every_source_file_has_an_spdx_header(files):
    missing = missing_headers(ROOT, files)
    assert not missing, ('no "SPDX-License-Identifier: GPL-3.0-or-later" line in the first %d lines of: %s'
                         % (HEADER_LINES, missing))


def test_every_named_licence_has_its_text_in_licenses(files):
    named = {}
    for path in files:
        if path.startswith('LICENSES/') or not needs_header(path):
            continue
        for expression in header_expressions(ROOT, path):
            for licence in licence_ids(expression):
                named.setdefault(licence, path)
    for licence in reuse_toml_ids(ROOT):
        named.setdefault(licence, 'REUSE.toml')
    with open(os.path.join(ROOT, 'galaxy.yml')) as handle:
        for licence in yaml.safe_load(handle)['license']:
            named.setdefault(licence, 'galaxy.yml')
    assert 'GPL-3.0-or-later' in named, named
    absent = sorted('%s (named in %s)' % (licence, path) for licence, path in named.items()
                    if not os.path.isfile(os.path.join(ROOT, 'LICENSES', licence + '.txt')))
    assert not absent, 'licences without their text in LICENSES/<id>.txt: %s' % absent
    texts = sorted(name[:-4] for name in os.listdir(os.path.join(ROOT, 'LICENSES')))
    assert sorted(named) == texts, 'LICENSES/ holds %s, the files name %s' % (texts, sorted(named))


def test_licence_texts_are_the_full_texts():
    with open(os.path.join(ROOT, 'LICENSES', 'GPL-3.0-or-later.txt')) as handle:
        gpl = handle.read()
    assert gpl.lstrip().startswith('GNU GENERAL PUBLIC LICENSE') and 'Version 3, 29 June 2007' in gpl
    assert 'END OF TERMS AND CONDITIONS' in gpl and 'How to Apply These Terms to Your New Programs' in gpl
    assert len(gpl.splitlines()) > 600, 'truncated licence text'
    with open(os.path.join(ROOT, 'COPYING')) as handle:
        assert handle.read() == gpl, 'COPYING must be the text of LICENSES/GPL-3.0-or-later.txt'


def test_the_checks_catch_a_file_without_header(tmp_path):
    """The header check itself: a new source file with no header, or with a header past the first lines, is
    reported; Markdown and the generated files are left to REUSE.toml."""
    (tmp_path / 'plugins' / 'modules').mkdir(parents=True)
    (tmp_path / 'plugins' / 'modules' / 'new.py').write_text(u'# -*- coding: utf-8 -*-\nprint(1)\n')
    (tmp_path / 'late.yml').write_text(u'---\n' + u'# filler\n' * HEADER_LINES + u'# SPDX-License-Identifier: MIT\n')
    (tmp_path / 'ok.sh').write_text(u'#!/bin/sh\n# SPDX-License-Identifier: GPL-3.0-or-later\n')
    (tmp_path / 'ok.j2').write_text(u'{#- SPDX-License-Identifier: GPL-3.0-or-later #}\n{{ x }}\n')
    (tmp_path / 'README.md').write_text(u'# no header\n')
    (tmp_path / 'changelogs').mkdir()
    (tmp_path / 'changelogs' / 'changelog.yaml').write_text(u'releases: {}\n')
    (tmp_path / '.gitignore').write_text(u'# SPDX-License-Identifier: GPL-3.0-or-later\nbuild/\n')
    (tmp_path / 'build').mkdir()
    (tmp_path / 'build' / 'junk.py').write_text(u'print(1)\n')
    found = tree_files(str(tmp_path))
    assert 'build/junk.py' not in found and 'plugins/modules/new.py' in found, found
    assert missing_headers(str(tmp_path), found) == ['late.yml', 'plugins/modules/new.py']
    assert header_expressions(str(tmp_path), 'ok.j2') == ['GPL-3.0-or-later']
    assert licence_ids('(MIT OR GPL-3.0-or-later) AND BSD-2-Clause') == ['MIT', 'GPL-3.0-or-later', 'BSD-2-Clause']


def test_reuse_lint(files, tmp_path):
    """The REUSE project's own linter on exactly the files of the tree (offline; it needs no network)."""
    reuse = os.path.join(BIN, 'reuse')
    assert os.path.isfile(reuse), 'reuse is missing from the venv: it is pinned in requirements-dev.txt'
    copy = tmp_path / 'tree'
    for path in files:
        target = copy / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.join(ROOT, path), str(target))
    result = subprocess.run([reuse, '--root', str(copy), 'lint'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-6000:]
# REUSE-IgnoreEnd
