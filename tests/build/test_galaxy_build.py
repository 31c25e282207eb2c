# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection as users get it: ``ansible-galaxy collection build``, then install the tarball into a clean
path and use it from there (ansible-doc, and the demo with the API emulator of the installed copy).

The tarball is built from a copy of the tree into which the usual development and test artefacts are planted,
so that ``build_ignore`` in galaxy.yml is checked whatever the state of the working tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import json
import os
import subprocess
import tarfile

import pytest
import yaml

from build_support import BIN, FQCN, NAME, NAMESPACE, ROOT, VERSION, ansible_env, copy_tree, run

# Development and test artefacts planted in the build tree: none of them may reach the tarball.
ARTEFACTS = (
    '.venv/bin/python', '.venv-2.16/bin/python', '.ansible/collections/x.txt', '.ci/run', '.git/HEAD',
    '.pytest_cache/v/cache/lastfailed', '.hypothesis/examples/x', '__pycache__/x.cpython-312.pyc',
    'plugins/modules/__pycache__/ws_session.cpython-312.pyc', 'plugins/module_utils/__pycache__/_api.cpython-312.pyc',
    'tests/output/.tmp/sanity/x.json', 'tests/integration/inventory', 'demo-evidence/DEMO-INC-1.json',
    'build/docsite/index.html', '%s-%s-%s.tar.gz' % (NAMESPACE, NAME, VERSION), 'requirements-dev.txt',
    'requirements-matrix-2.16.txt', 'requirements-matrix-2.16.in', 'Makefile',
)
# Development-only content of the source tree, left out by build_ignore (see the comment there).
NOT_SHIPPED = ('tests/utils', 'tests/build', 'hacking', 'docs/docsite/sphinx', 'extensions/awx/project')
FORBIDDEN = ('.venv*', '.ansible', '.ansible/*', '.ci', '.ci/*', '.git', '.git/*', '.pytest_cache*', '.hypothesis*',
             '*__pycache__*', '*.pyc', 'tests/output', 'tests/output/*', 'tests/integration/inventory', 'demo-evidence*',
             'build', 'build/*', '*.tar.gz', 'requirements-*', 'Makefile') + tuple(
                 pattern for path in NOT_SHIPPED for pattern in (path, path + '/*'))
# What users need, as exact paths or fnmatch patterns (each must match at least one member).
REQUIRED = (
    'MANIFEST.json', 'FILES.json', 'README.md', 'meta/runtime.yml', 'changelogs/changelog.yaml',
    'COPYING', 'LICENSES/GPL-3.0-or-later.txt', 'REUSE.toml', 'extensions/demo/demo.sh',
    'plugins/modules/ws_session.py', 'plugins/modules/ws_session_info.py', 'plugins/module_utils/*.py',
    'plugins/doc_fragments/*.py', 'plugins/filter/*', 'roles/forced_logout/tasks/main.yml',
    'roles/forced_logout/meta/argument_specs.yml', 'playbooks/*.yml',
    'extensions/emulator/incoplax_emulator/__main__.py', 'extensions/emulator/README.md', 'extensions/demo/demo.yml',
    'docs/docsite/extra-docs.yml', 'docs/docsite/links.yml', 'docs/docsite/rst/*.rst',
)
# Every file of these source folders must be in the tarball.
SHIPPED_TREES = ('plugins', 'roles', 'playbooks', 'meta', 'extensions', 'docs', 'changelogs', 'LICENSES', 'tests')


def source_files(top):
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
        if any((os.path.relpath(dirpath, ROOT).replace(os.sep, '/') + '/').startswith(path + '/') for path in NOT_SHIPPED):
            continue
        dirnames[:] = [name for name in dirnames if name not in ('__pycache__', '.pytest_cache', 'output', 'inventory')]
        for filename in filenames:
            if not filename.endswith('.pyc'):
                yield os.path.relpath(os.path.join(dirpath, filename), ROOT).replace(os.sep, '/')


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """(tarball path, member names) of a build from a copy of the tree with artefacts planted in it."""
    tree = copy_tree(tmp_path_factory.mktemp('tree') / 'platform')
    for artefact in ARTEFACTS:
        path = tree / artefact
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(u'artefact\n')
    out = tmp_path_factory.mktemp('dist')
    env = ansible_env(tmp_path_factory.mktemp('build-home'), out)
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(out), str(tree)], env, str(out))
    tarball = out / ('%s-%s-%s.tar.gz' % (NAMESPACE, NAME, VERSION))
    assert tarball.is_file(), 'no %s in %s' % (tarball.name, sorted(os.listdir(str(out))))
    with tarfile.open(str(tarball)) as archive:
        members = [member.name[2:] if member.name.startswith('./') else member.name for member in archive.getmembers()]
        manifest = json.load(archive.extractfile('MANIFEST.json'))
    return tarball, members, manifest


@pytest.fixture(scope='module')
def installed(built, tmp_path_factory):
    """(collections path, installed collection dir, env) after installing the tarball into an empty path."""
    tarball = built[0]
    base = tmp_path_factory.mktemp('installed')
    collections = base / 'collections'
    env = ansible_env(base, collections)
    output = run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', str(tarball), '-p', str(collections),
                  '--force', '--offline'], env, str(base))
    path = collections / 'ansible_collections' / NAMESPACE / NAME
    assert (path / 'MANIFEST.json').is_file(), output
    return collections, path, env


def test_tarball_has_what_users_need(built):
    _tarball, members, _manifest = built
    missing = [pattern for pattern in REQUIRED if not fnmatch.filter(members, pattern)]
    assert not missing, 'missing from the tarball: %s' % missing
    if os.path.isdir(os.path.join(ROOT, 'roles', 'session_audit')):
        assert 'roles/session_audit/tasks/main.yml' in members


def test_tarball_ships_every_source_file(built):
    members = set(built[1])
    missing = sorted(path for top in SHIPPED_TREES for path in source_files(top) if path not in members)
    assert not missing, 'files of the source tree not in the tarball: %s' % missing


def test_tarball_has_no_artefacts(built):
    members = built[1]
    leaked = sorted(set(member for pattern in FORBIDDEN for member in fnmatch.filter(members, pattern)))
    leaked += [member for member in members if '__pycache__' in member.split('/')]
    assert not leaked, 'development or test artefacts in the tarball (add them to build_ignore): %s' % leaked


def test_manifest(built):
    info = built[2]['collection_info']
    assert (info['namespace'], info['name'], info['version']) == (NAMESPACE, NAME, VERSION)
    assert info['dependencies'] == {}, 'Galaxy cannot be reached offline: keep the collection free of dependencies'


def test_installed_copy_matches_the_tarball(built, installed):
    _collections, path, _env = installed
    with open(str(path / 'FILES.json')) as handle:
        files = [entry['name'] for entry in json.load(handle)['files'] if entry['ftype'] == 'file']
    missing = [name for name in files if not (path / name).is_file()]
    assert not missing, missing
    with open(str(path / 'meta' / 'runtime.yml')) as handle:
        assert yaml.safe_load(handle)['requires_ansible'] == '>=2.16.0'


@pytest.mark.parametrize('plugin', ['ws_session', 'ws_session_info'])
def test_ansible_doc_renders_from_the_installed_copy(installed, tmp_path, plugin):
    _collections, path, env = installed
    output = run([os.path.join(BIN, 'ansible-doc'), '%s.%s' % (FQCN, plugin)], env, str(tmp_path))
    assert str(path / 'plugins' / 'modules' / (plugin + '.py')) in output, output[:2000]
    assert 'OPTIONS' in output and 'EXAMPLES' in output and 'RETURN VALUES' in output, output[:2000]


def test_ansible_doc_lists_the_roles(installed, tmp_path):
    _collections, _path, env = installed
    output = run([os.path.join(BIN, 'ansible-doc'), '-t', 'role', '-l', FQCN], env, str(tmp_path))
    expected = ['%s.forced_logout' % FQCN]
    if os.path.isdir(os.path.join(ROOT, 'roles', 'session_audit')):
        expected.append('%s.session_audit' % FQCN)
    assert all(role in output for role in expected), output


def test_demo_runs_from_the_installed_copy(installed, tmp_path):
    """extensions/demo/demo.sh of the installed collection: it starts the installed emulator and runs the demo with
    the ansible-playbook on PATH (no requirements-dev.txt, no tests/utils there), evidence in the current directory."""
    collections, path, env = installed
    assert not (path / 'tests' / 'utils').exists() and not (path / 'requirements-dev.txt').exists()
    before = sorted(str(item) for item in path.rglob('*'))
    workdir = tmp_path / 'work'
    workdir.mkdir()
    output = run(['bash', str(path / 'extensions' / 'demo' / 'demo.sh')], dict(env, ANSIBLE_COLLECTIONS_PATH=''),
                 workdir)
    assert 'listening on http://127.0.0.1:' in output and 'failed=0' in output, output[-4000:]
    evidence = workdir / 'demo-evidence'
    # The run's new evidence files, as its ledger lists them.
    with open(str(evidence / 'DEMO-INC-1.ledger.jsonl')) as handle:
        files = json.loads(handle.read().splitlines()[-1])['files']
    with open(str(evidence / files['json']['name'])) as handle:
        result = json.load(handle)
    assert result['ticket'] == 'DEMO-INC-1' and result['failure'] is None, result
    assert result['counts']['closed'] > 0 and result['counts']['remaining'] == 0, result['counts']
    assert (evidence / files['markdown']['name']).is_file() and (evidence / 'audit').is_dir()
    after = sorted(str(item) for item in path.rglob('*') if '__pycache__' not in item.parts)
    assert after == [item for item in before if '__pycache__' not in item], 'the demo wrote into the installed collection'
    assert path.parent.parent.parent == collections


def test_demo_from_the_installed_copy_says_what_is_missing(installed, tmp_path):
    """Without ansible-playbook on PATH the installed demo stops before starting anything, and says why."""
    _collections, path, env = installed
    result = subprocess.run(['bash', str(path / 'extensions' / 'demo' / 'demo.sh')],
                            env=dict(env, PATH='/usr/bin:/bin'), cwd=str(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, timeout=60, check=False)
    assert result.returncode == 1 and 'ansible-playbook is not on PATH' in result.stdout, result.stdout
    assert not (tmp_path / 'demo-evidence').exists()


def test_one_author_everywhere():
    """galaxy.yml's authors are the ones the modules, filters and roles document (and the docsite's author)."""
    authors = set(yaml.safe_load(open(os.path.join(ROOT, 'galaxy.yml')))['authors'])
    documented = {}
    for folder, pattern in (('plugins/modules', '*.py'), ('plugins/filter', '*.yml'), ('roles', 'argument_specs.yml')):
        for dirpath, _dirnames, filenames in os.walk(os.path.join(ROOT, folder)):
            for filename in fnmatch.filter(filenames, pattern):
                with open(os.path.join(dirpath, filename)) as handle:
                    text = handle.read()
                for block in text.split('author:')[1:]:
                    lines = block.split('\n')
                    names = [lines[0].strip()] if lines[0].strip() else [
                        line.strip()[2:].strip() for line in lines[1:] if line.strip().startswith('- ')][:1]
                    for name in names:
                        documented.setdefault(name, os.path.join(folder, filename))
    assert documented, 'no author found in the plugin and role documentation'
    strangers = {name: where for name, where in documented.items() if name not in authors}
    assert not strangers, 'authors not in galaxy.yml %s: %s' % (sorted(authors), strangers)
