# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A new user with a clone: follow the README's Installation section, then use the collection as the docs say.

Every command comes from the documents themselves (the Markdown code blocks of README.md, the ``.. code-block::``
directives of the runbook, docs/docsite/rst/runbook.rst), run with bash in an environment with an empty HOME and no
ANSIBLE_* or INCOPLAX_* settings; the only changes are the addresses (the emulator instead of
https://...example.com, a local git repository instead of GitHub) and the report directories (a temporary directory
instead of /var/lib/incoplax). The API is the emulator of the installed copy, loaded with the accounts the documents
name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess
import uuid

import pytest
import yaml

from build_support import FQCN, GALAXY, NAME, NAMESPACE, ROOT, TARBALL, copy_tree, emulator_process, run, user_env
from incoplax_testing.cast import entry

README = os.path.join(ROOT, 'README.md')
RUNBOOK = os.path.join(ROOT, 'docs', 'docsite', 'rst', 'runbook.rst')
EXAMPLE_URL = 'https://platform.example.com'
GIT_URL = GALAXY['repository'] + '.git'
TOKEN = 'install-test-token'
MALLORY_ID = '37eca732-016d-2962-dbfa-e0d55e0cd303'  # the user id the runbook's incident.yml names


def section(path, title):
    """The text of the Markdown section ``## title`` (up to the next ``## ``)."""
    with open(path) as handle:
        text = handle.read()
    match = re.search(r'^## %s\n(.*?)(?=^## |\Z)' % re.escape(title), text, re.MULTILINE | re.DOTALL)
    assert match, 'no "## %s" section in %s' % (title, path)
    return match.group(1)


def code_blocks(text, language=None):
    """The fenced code blocks of a Markdown text (indented ones too, dedented), optionally of one language."""
    blocks, current, indent, lang = [], None, 0, None
    for line in text.split('\n'):
        stripped = line.strip()
        if current is None and stripped.startswith('```'):
            current, indent, lang = [], len(line) - len(line.lstrip()), stripped[3:].strip()
        elif current is not None and stripped == '```':
            if language is None or lang == language:
                blocks.append('\n'.join(current) + '\n')
            current = None
        elif current is not None:
            current.append(line[indent:])
    return blocks


def rst_code_blocks(text, language):
    """The ``.. code-block:: <language>`` blocks of an RST text, at any indentation, dedented."""
    blocks, lines, index = [], text.split('\n'), 0
    while index < len(lines):
        match = re.match(r'^( *)\.\. code-block:: *(\S+) *$', lines[index])
        index += 1
        if not match:
            continue
        directive_indent = len(match.group(1))
        while index < len(lines) and re.match(r'^ +:[\w-]+:', lines[index]):  # directive options
            index += 1
        body = []
        while index < len(lines) and (not lines[index].strip()
                                      or len(lines[index]) - len(lines[index].lstrip()) > directive_indent):
            body.append(lines[index])
            index += 1
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        indent = min(len(line) - len(line.lstrip()) for line in body if line.strip()) if body else 0
        if match.group(2) == language:
            blocks.append('\n'.join(line[indent:] for line in body) + '\n')
    return blocks


def block_with(blocks, needle):
    found = [block for block in blocks if needle in block]
    assert len(found) == 1, 'expected one code block with %r, found %d:\n%s' % (needle, len(found), blocks)
    return found[0]


def install_blocks():
    return code_blocks(section(README, 'Installation'), 'bash')


def accounts():
    """The accounts of the README and runbook examples, on three sites: jdoe (one session twice, http and
    websocket, and one on another site), the user id of incident.yml, the protected admin and breakglass, bob."""
    ids = dict((login, str(uuid.uuid4())) for login in ('admin', 'jdoe', 'breakglass', 'bob'))
    ids['mallory'] = MALLORY_ID
    sessions = [
        entry('a-central', 'admin', 'central', user_id=ids['admin']),
        entry('j-central', 'jdoe', 'central', user_id=ids['jdoe']),
        entry('j-central', 'jdoe', 'central', 'websocket', user_id=ids['jdoe'], connections=[
            {'conn_id': str(uuid.uuid4()), 'is_pid_alive': True, 'node': 'ws1@192.168.0.32', 'pid': '<0.11647.54>'}]),
        entry('j-east', 'jdoe', 'east', user_id=ids['jdoe']),
        entry('m-west', 'mallory', 'west', user_id=ids['mallory']),
        entry('b-central', 'breakglass', 'central', user_id=ids['breakglass']),
        entry('b-west', 'breakglass', 'west', user_id=ids['breakglass']),
        entry('o-east', 'bob', 'east', user_id=ids['bob']),
    ]
    return {'current_site': 'central', 'sites': ['central', 'east', 'west'], 'sessions': sessions}


@pytest.fixture(scope='module')
def clone(tmp_path_factory):
    """A copy of the tree as a clone has it (no version control, no outputs)."""
    return copy_tree(tmp_path_factory.mktemp('clone') / 'ansible-collection-platform')


@pytest.fixture(scope='module')
def user(clone, tmp_path_factory):
    """A new user who installed the collection from a tarball built in the clone, as the README says:
    (the environment, the installed collection's path)."""
    env = user_env(tmp_path_factory.mktemp('user-home'))
    run('ansible-galaxy collection build', env, clone, shell=True)
    command = block_with(install_blocks(), '.tar.gz')
    assert command.strip() == 'ansible-galaxy collection install %s' % TARBALL, (
        'the README must name the tarball of galaxy.yml\'s version: %s' % command)
    output = run(command, env, clone, shell=True)
    path = os.path.join(env['HOME'], '.ansible', 'collections', 'ansible_collections', NAMESPACE, NAME)
    assert os.path.isfile(os.path.join(path, 'MANIFEST.json')), output
    return env, path


@pytest.fixture
def api(user, tmp_path):
    """The installed copy's emulator, loaded with the accounts of the examples; stopped at teardown."""
    process = emulator_process(user[1])(['--token', TOKEN], log_dir=str(tmp_path), env=user[0], cwd=str(tmp_path))
    try:
        process.load(accounts())
        yield process
    finally:
        process.stop()


def logins(api):
    return dict((login, sorted(ids)) for login, ids in api.logins().items())


def quick_start(directory, url):
    """The README's Quick start playbook, written to ``directory``, aimed at ``url``."""
    playbook = code_blocks(section(README, 'Quick start'), 'yaml')[0]
    assert 'url: %s\n' % EXAMPLE_URL in playbook, playbook
    path = os.path.join(str(directory), 'quickstart.yml')
    with open(path, 'w') as handle:
        handle.write(playbook.replace(EXAMPLE_URL, url))
    return 'ansible-playbook quickstart.yml -e vault_incoplax_token=%s' % TOKEN


def assert_contained(api, output):
    left = logins(api)
    assert 'jdoe' not in left, (left, output[-4000:])
    assert left['breakglass'] == ['b-central', 'b-west'] and left['bob'] == ['o-east'], left


def test_ansible_doc_after_installing_the_tarball(user, tmp_path):
    env, path = user
    command = 'ansible-doc %s.ws_session' % FQCN
    assert command in section(README, 'Installation')
    output = run(command, env, tmp_path, shell=True)
    assert os.path.join(path, 'plugins', 'modules', 'ws_session.py') in output and 'OPTIONS' in output, output[:2000]


def test_quick_start_after_installing_the_tarball(user, api, tmp_path):
    env, _path = user
    output = run(quick_start(tmp_path, api.url), env, tmp_path, shell=True)
    assert 'failed=0' in output, output[-4000:]
    assert_contained(api, output)
    assert '"total": 2' in output and '"entries": 3' in output, output[-4000:]  # jdoe's two sessions, three entries


def test_runbook_commands_after_installing_the_tarball(user, api, tmp_path):
    """Section 0 (the audit), section 1 (dry run, then the run) of the runbook, as written."""
    env = dict(user[0], INCOPLAX_URL=api.url, INCOPLAX_TOKEN=TOKEN)
    runbook = open(RUNBOOK).read()
    var_lib = str(tmp_path / 'var-lib-incoplax')
    commands = [block.replace('/var/lib/incoplax', var_lib) for block in rst_code_blocks(runbook, 'bash')]
    incident = block_with(rst_code_blocks(runbook, 'yaml'), 'forced_logout_users').replace('/var/lib/incoplax', var_lib)
    (tmp_path / 'incident.yml').write_text(incident)
    settings = yaml.safe_load(incident)

    audit = block_with(commands, FQCN + '.session_audit')
    output = run(audit, env, tmp_path, shell=True)
    reports = os.listdir(os.path.join(var_lib, 'audit'))
    assert sorted(os.path.splitext(name)[1] for name in reports) == ['.csv', '.json', '.md'], (reports, output[-3000:])

    dry_run = block_with(commands, '--check')
    before = logins(api)
    output = run(dry_run, env, tmp_path, shell=True)
    assert logins(api) == before, 'the dry run closed sessions:\n' + output[-4000:]
    incidents = os.path.join(var_lib, 'incidents')
    planned = last_evidence(incidents, settings['forced_logout_ticket'])
    assert planned['counts']['before'] == 3 and planned['failure'] is None, planned['counts']
    assert planned['outcome'] == 'dry_run', planned['outcome']

    apply = dry_run.replace(' --check', '')  # "Run it without --check"
    assert 'without ``--check``' in runbook and apply != dry_run
    output = run(apply, env, tmp_path, shell=True)
    left = logins(api)
    assert 'jdoe' not in left and 'mallory' not in left, (left, output[-4000:])
    assert left['admin'] == ['a-central'] and left['breakglass'] == ['b-central', 'b-west'], left
    assert left['bob'] == ['o-east'], left
    result = last_evidence(incidents, settings['forced_logout_ticket'])
    assert result['failure'] is None and result['counts']['closed'] == 3 and not result['remaining'], result['counts']
    # The dry run's evidence is kept next to the real run's: two runs, two records in the ticket's ledger.
    assert len([name for name in os.listdir(incidents) if name.endswith('.json')]) == 2


def last_evidence(directory, name):
    """The JSON evidence of the latest run of ``name``, as its ledger lists it."""
    with open(os.path.join(directory, name + '.ledger.jsonl')) as handle:
        record = json.loads(handle.read().splitlines()[-1])
    with open(os.path.join(directory, record['files']['json']['name'])) as handle:
        return json.load(handle)


def test_runbook_several_clusters(user, tmp_path, api):
    """Section 1, step 3 of the runbook: its clusters.yml (two emulators for paris and berlin) and its command."""
    berlin = emulator_process(user[1])(['--token', TOKEN + '-berlin'], log_dir=str(tmp_path), env=user[0],
                                       cwd=str(tmp_path))
    try:
        berlin.load(accounts())
        runbook = open(RUNBOOK).read()
        var_lib = str(tmp_path / 'var-lib-incoplax')
        incident = block_with(rst_code_blocks(runbook, 'yaml'), 'forced_logout_users').replace('/var/lib/incoplax', var_lib)
        (tmp_path / 'incident.yml').write_text(incident)
        clusters = block_with(rst_code_blocks(runbook, 'yaml'), 'incoplax_connection')
        for name, url in (('paris', api.url), ('berlin', berlin.url)):
            assert 'url: https://%s.platform.example.com\n' % name in clusters, clusters
            clusters = clusters.replace('https://%s.platform.example.com' % name, url)
        (tmp_path / 'clusters.yml').write_text(clusters)
        command = block_with(rst_code_blocks(runbook, 'bash'), '-i clusters.yml')
        assert command.startswith('ansible-playbook %s.forced_logout ' % FQCN), command
        env = dict(user[0], INCOPLAX_TOKEN_PARIS=TOKEN, INCOPLAX_TOKEN_BERLIN=TOKEN + '-berlin')
        output = run(command, env, tmp_path, shell=True)
        for cluster in (api, berlin):
            left = logins(cluster)
            assert 'jdoe' not in left and 'mallory' not in left, (left, output[-4000:])
            assert left['breakglass'] == ['b-central', 'b-west'] and left['bob'] == ['o-east'], left
        ticket = yaml.safe_load(incident)['forced_logout_ticket']
        for cluster in ('paris', 'berlin'):
            result = last_evidence(os.path.join(var_lib, 'incidents'), '%s-%s' % (ticket, cluster))
            assert result['failure'] is None and result['counts']['closed'] == 3, (cluster, result['counts'])
    finally:
        berlin.stop()


def _git_repository(clone, tmp_path, env):
    repo = tmp_path / 'origin'
    run('cp -a "$SRC" "$DEST" && cd "$DEST" && git init -q -b main && git add -A '
        '&& git -c user.name=test -c user.email=test@example.com commit -q -m import',
        dict(env, SRC=str(clone), DEST=str(repo)), tmp_path, shell=True)
    return repo


@pytest.mark.parametrize('route', ['install .', 'git', 'clone in place'])
def test_other_ways_in(route, clone, tmp_path):
    """The README's other ways in, each for a new user (empty HOME): ansible-doc finds the collection where the way
    puts it; from the clone in place, the Quick start runs too (its module_defaults group resolves)."""
    env = user_env(tmp_path / 'home')
    blocks = install_blocks()
    home = env['HOME']
    if route == 'install .':
        script = block_with(blocks, 'collection install .\n')
        expected = os.path.join(home, '.ansible', 'collections', 'ansible_collections', NAMESPACE, NAME)
    elif route == 'git':
        script = block_with(blocks, 'git+')
        assert GIT_URL in script, 'the README must name galaxy.yml\'s repository %s: %s' % (GIT_URL, script)
        script = script.replace('git+' + GIT_URL, 'git+file://%s' % _git_repository(clone, tmp_path, env))
        expected = os.path.join(home, '.ansible', 'collections', 'ansible_collections', NAMESPACE, NAME)
    else:
        script = block_with(blocks, 'ANSIBLE_COLLECTIONS_PATH')
        expected = os.path.join(home, 'collections', 'ansible_collections', NAMESPACE, NAME)
    script += 'ansible-doc %s.ws_session\n' % FQCN
    api = None
    if route == 'clone in place':
        api = emulator_process(clone)(['--token', TOKEN], log_dir=str(tmp_path), env=env, cwd=str(tmp_path))
        api.load(accounts())
        script += quick_start(tmp_path, api.url).replace('quickstart.yml', str(tmp_path / 'quickstart.yml')) + '\n'
    try:
        output = run(script, env, clone, shell=True)
        assert os.path.join(expected, 'plugins', 'modules', 'ws_session.py') in output, output[:3000]
        if api is not None:
            assert 'failed=0' in output, output[-4000:]
            assert_contained(api, output)
    finally:
        if api is not None:
            api.stop()


def test_install_from_the_clone_leaves_out_development_content(clone, tmp_path):
    """``ansible-galaxy collection install .`` applies build_ignore like a built tarball."""
    env = user_env(tmp_path / 'home')
    run(block_with(install_blocks(), 'collection install .\n'), env, clone, shell=True)
    path = os.path.join(env['HOME'], '.ansible', 'collections', 'ansible_collections', NAMESPACE, NAME)
    for absent in ('tests/utils', 'tests/build', 'Makefile', 'requirements-dev.txt', 'docs/docsite/sphinx'):
        assert not os.path.exists(os.path.join(path, absent)), absent
    for present in ('COPYING', 'LICENSES/GPL-3.0-or-later.txt', 'extensions/demo/demo.sh',
                    'extensions/emulator/incoplax_emulator/__main__.py'):
        assert os.path.exists(os.path.join(path, present)), present


def test_the_documented_commands_fail_without_installation(clone, tmp_path):
    """What the issue saw from a bare clone: without an Installation step Ansible cannot find the collection, so
    the tests above prove the Installation section, not a leftover of the machine."""
    env = user_env(tmp_path / 'home')
    result = subprocess.run(['bash', '-c', 'ansible-doc %s.ws_session' % FQCN], env=env, cwd=str(clone),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=120,
                            check=False)
    assert 'ws_session.py' not in result.stdout and (result.returncode != 0 or 'not found' in result.stdout), \
        result.stdout[-2000:]
