# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection as users get it: ``ansible-galaxy collection build``, then install the tarball into a clean
path and use it from there (ansible-doc, the API emulator and the demo playbook of the installed copy).

The tarball is built from a copy of the tree into which the usual development and test artefacts are planted,
so that ``build_ignore`` in galaxy.yml is checked whatever the state of the working tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
TIMEOUT = 300

with open(os.path.join(ROOT, 'galaxy.yml')) as _handle:
    GALAXY = yaml.safe_load(_handle)
NAMESPACE, NAME, VERSION = GALAXY['namespace'], GALAXY['name'], GALAXY['version']
FQCN = '%s.%s' % (NAMESPACE, NAME)

# Top-level entries of the source tree not copied into the build tree (big, or version control): planted below.
NOT_COPIED = ('.git', '.venv*', '.ansible', 'build', 'demo-evidence', '.pytest_cache', '.hypothesis')
# Development and test artefacts planted in the build tree: none of them may reach the tarball.
ARTEFACTS = (
    '.venv/bin/python', '.venv-2.16/bin/python', '.ansible/collections/x.txt', '.ci/run', '.git/HEAD',
    '.pytest_cache/v/cache/lastfailed', '.hypothesis/examples/x', '__pycache__/x.cpython-312.pyc',
    'plugins/modules/__pycache__/ws_session.cpython-312.pyc', 'plugins/module_utils/__pycache__/_api.cpython-312.pyc',
    'tests/output/.tmp/sanity/x.json', 'tests/integration/inventory', 'demo-evidence/DEMO-INC-1.json',
    'build/docsite/index.html', '%s-%s-%s.tar.gz' % (NAMESPACE, NAME, VERSION), 'requirements-dev.txt',
    'requirements-matrix-2.16.txt', 'requirements-matrix-2.16.in', 'Makefile',
)
FORBIDDEN = ('.venv*', '.ansible', '.ansible/*', '.ci', '.ci/*', '.git', '.git/*', '.pytest_cache*', '.hypothesis*',
             '*__pycache__*', '*.pyc', 'tests/output', 'tests/output/*', 'tests/integration/inventory', 'demo-evidence*',
             'build', 'build/*', '*.tar.gz', 'requirements-*', 'Makefile')
# What users need, as exact paths or fnmatch patterns (each must match at least one member).
REQUIRED = (
    'MANIFEST.json', 'FILES.json', 'README.md', 'meta/runtime.yml', 'changelogs/changelog.yaml',
    'plugins/modules/ws_session.py', 'plugins/modules/ws_session_info.py', 'plugins/module_utils/*.py',
    'plugins/doc_fragments/*.py', 'plugins/filter/*', 'roles/forced_logout/tasks/main.yml',
    'roles/forced_logout/meta/argument_specs.yml', 'playbooks/*.yml',
    'extensions/emulator/incoplax_emulator/__main__.py', 'extensions/emulator/README.md', 'extensions/demo/demo.yml',
    'docs/*.md', 'docs/docsite/extra-docs.yml', 'docs/docsite/links.yml', 'docs/docsite/rst/*.rst',
)
# Every file of these source folders must be in the tarball.
SHIPPED_TREES = ('plugins', 'roles', 'playbooks', 'meta', 'extensions', 'docs', 'changelogs')


def run(command, env, cwd, timeout=TIMEOUT):
    result = subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=timeout, check=False)
    assert result.returncode == 0, '%s failed (rc %s):\n%s' % (' '.join(command), result.returncode, result.stdout[-6000:])
    return result.stdout


def ansible_env(tmp_path, collections_path, extra=None):
    """A clean environment: empty ANSIBLE_HOME, only the given collections path, no INCOPLAX_* leaking in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(('INCOPLAX_', 'ANSIBLE_'))}
    home = tmp_path / 'ansible-home'
    home.mkdir(exist_ok=True)
    env.update({
        'ANSIBLE_HOME': str(home), 'ANSIBLE_COLLECTIONS_PATH': str(collections_path),
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'False', 'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_LOCALHOST_WARNING': 'False',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'False', 'PATH': BIN + os.pathsep + env.get('PATH', ''),
    })
    for key in ('NO_PROXY', 'no_proxy'):
        env[key] = ','.join(item for item in (env.get(key), '127.0.0.1', 'localhost') if item)
    env.update(extra or {})
    return env


def source_files(top):
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
        dirnames[:] = [name for name in dirnames if name not in ('__pycache__', '.pytest_cache')]
        for filename in filenames:
            if not filename.endswith('.pyc'):
                yield os.path.relpath(os.path.join(dirpath, filename), ROOT).replace(os.sep, '/')


def skip_in_copy(folder, names):
    skipped = set(name for name in names if name == '__pycache__' or name.endswith('.pyc'))
    if os.path.abspath(folder) == ROOT:
        skipped.update(name for pattern in NOT_COPIED for name in fnmatch.filter(names, pattern))
    elif os.path.abspath(folder) == os.path.join(ROOT, 'tests'):
        skipped.update(name for name in names if name == 'output')
    return skipped


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """(tarball path, member names) of a build from a copy of the tree with artefacts planted in it."""
    tree = tmp_path_factory.mktemp('tree') / 'platform'
    shutil.copytree(ROOT, str(tree), symlinks=True, ignore=skip_in_copy)
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
    """Users start the emulator and the demo playbook from the installed collection, not from a checkout."""
    collections, path, env = installed
    evidence = tmp_path / 'evidence'
    emulator_env = dict(env, PYTHONPATH=str(path / 'extensions' / 'emulator'))
    emulator = subprocess.Popen(
        [sys.executable, '-m', 'incoplax_emulator', '--port', '0', '--users', '40', '--sessions-per-user', '3',
         '--sites', 'central,east,west', '--seed', '7', '--token', 'demo-token'],
        env=emulator_env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    try:
        line = emulator.stdout.readline()
        if 'incoplax-emulator listening on http://' not in line:
            emulator.kill()
            pytest.fail('the installed emulator did not start: %s%s' % (line, emulator.stdout.read()))
        url = line.split(' listening on ', 1)[1].strip().rstrip('/')
        play_env = dict(env, INCOPLAX_URL=url, INCOPLAX_TOKEN='demo-token')
        output = run([os.path.join(BIN, 'ansible-playbook'), str(path / 'extensions' / 'demo' / 'demo.yml'),
                      '-e', 'demo_evidence_dir=%s' % evidence], play_env, str(tmp_path))
    finally:
        emulator.send_signal(signal.SIGTERM)
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()
            emulator.wait(timeout=10)
        emulator.stdout.close()
    assert 'failed=0' in output, output[-4000:]
    # The run's new evidence files, as its ledger lists them.
    with open(str(evidence / 'DEMO-INC-1.ledger.jsonl')) as handle:
        files = json.loads(handle.read().splitlines()[-1])['files']
    with open(str(evidence / files['json']['name'])) as handle:
        result = json.load(handle)
    assert result['ticket'] == 'DEMO-INC-1' and result['failure'] is None, result
    assert result['counts']['closed'] > 0 and result['counts']['remaining'] == 0, result['counts']
    assert (evidence / files['markdown']['name']).is_file()
    assert path.parent.parent.parent == collections
