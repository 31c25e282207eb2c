# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Secrets never show, and never travel: real ansible-playbook (and ansible-runner) at -vvvv.

Every module in every target mode, check and diff, both roles, with a known token and password given as
extra variables and as environment variables, with failing cases (unreachable URL, 401, 500 bodies that
echo the credential). The whole output is searched: stdout, stderr, the task results, the log file, every
file the run left (evidence and reports included) and, through ``ansible_runner.run``, the runner's stdout,
job events and artifacts. A redirect to another host must never carry the credentials.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re
import sys

from urllib.parse import quote, quote_plus


import pytest

from incoplax_testing.cast import SESSIONS_PATH, MASTER  # pylint: disable=import-error

TOKEN = 'tok-S3cr3t-4f9b1c7e2d60a8'
USERNAME = 'opsadmin'
PASSWORD = 'pw-S3cr3t-8a2e6d0c51b7f3'
BASIC = base64.b64encode(('%s:%s' % (USERNAME, PASSWORD)).encode()).decode()
SECRETS = {'token': TOKEN, 'password': PASSWORD, 'basic credential': BASIC}
# The runner's command artifact records the environment of the run by design (AWX keeps it private).
RUNNER_ENV_FILES = ('command',)


def credential_of(request):
    """What the request authenticated with, in clear: the bearer token, or ``user:password``."""
    header = request['headers'].get('Authorization', '')
    scheme, _sep, value = header.partition(' ')
    if scheme.lower() == 'basic':
        return base64.b64decode(value).decode()
    return value


def json_answer(status, data):
    return status, {'Content-Type': 'application/json; charset=utf-8'}, json.dumps(data).encode()


def echo_json(status):
    """An error answer whose JSON body repeats the credential in clear (a careless debug build)."""
    def answer(request):
        return json_answer(status, {'error': 'refused, you sent %s' % credential_of(request)})
    return answer


def echo_html(status):
    """An HTML error page that repeats the credential in clear."""
    def answer(request):
        page = '<html><body><h1>%d</h1><p>credential %s rejected</p></body></html>' % (status, credential_of(request))
        return status, {'Content-Type': 'text/html'}, page.encode()
    return answer


def echo_nested(status):
    """A JSON error whose credential sits where the client does not look for a message."""
    def answer(request):
        return json_answer(status, {'trace': {'credential': credential_of(request), 'path': request['path']}})
    return answer


def echo_header(status):
    """An error answer that repeats the Authorization header exactly as it arrived."""
    def answer(request):
        return json_answer(status, {'error': 'refused Authorization: %s' % request['headers'].get('Authorization')})
    return answer


def files_under(root, skip=()):
    """{relative path: text} of every file under ``root`` but those whose name is in ``skip``."""
    found = {}
    for folder, _dirs, names in os.walk(str(root)):
        for name in names:
            if name in skip:
                continue
            path = os.path.join(folder, name)
            with open(path, 'rb') as handle:
                found[os.path.relpath(path, str(root))] = handle.read().decode('utf-8', 'replace')
    return found


def leaks(texts, secrets=None):
    """Every (secret, place, context) where a secret shows in ``texts`` ({place: text})."""
    found = []
    for label, secret in (secrets or SECRETS).items():
        for place, text in texts.items():
            index = text.find(secret)
            if index >= 0:
                found.append('%s in %s: ...%s...' % (label, place, text[max(0, index - 120):index + len(secret) + 40]))
    return found


def run_texts(run, tmp_path):
    """Everything a run produced: its stdout, stderr, task results and every file left under ``tmp_path``."""
    texts = {'stdout': run.stdout, 'stderr': run.stderr, 'task results': run.results_text}
    texts.update(('file ' + name, text) for name, text in files_under(tmp_path).items())
    return texts


def assert_no_leak(texts, secrets=None):
    found = leaks(texts, secrets)
    assert not found, 'secrets found in the output:\n' + '\n'.join(found)


def assert_no_traceback(run):
    for text in (run.stdout, run.stderr, run.results_text):
        assert 'Traceback' not in text and 'MODULE FAILURE' not in text, run.describe()


@pytest.fixture
def secret_vars(tmp_path_factory):
    """``ansible-playbook`` arguments giving the secrets as extra variables from a file, as AWX does.

    Not ``-e '{json}'``: ansible-playbook prints its command-line extra variables at -vvvv (and ``ps`` shows
    them), whatever the collection does. The file is outside the directory searched for leaks.
    """
    path = tmp_path_factory.mktemp('secret_vars') / 'secrets.json'
    path.write_text(json.dumps({'secret_token': TOKEN, 'secret_user': USERNAME, 'secret_password': PASSWORD}))
    return ('-e', '@%s' % path)


@pytest.fixture
def api(start_emulator):
    """A dedicated emulator that accepts exactly TOKEN, and USERNAME with PASSWORD."""
    return start_emulator('--token', TOKEN, '--username', USERNAME, '--password', PASSWORD)


def ids_of(api, login):
    return sorted({entry['session_id'] for entry in api.state()['sessions'] if entry['login'] == login})


def open_ids(api):
    return {entry['session_id'] for entry in api.state()['sessions']}


def task(name, module, args, fails=False, **keywords):
    item = dict({'name': name, module: args, 'register': 'r_' + name.replace(' ', '_').replace('-', '_')}, **keywords)
    if fails:
        item['ignore_errors'] = True
    return item


def attempt_role(name, role, role_vars):
    """include_role in a block whose rescue keeps the play going (the role is expected to fail)."""
    return {'name': name, 'block': [{'name': 'Run ' + name, 'ansible.builtin.include_role': {'name': role}, 'vars': role_vars}],
            'rescue': [{'name': 'Rescued ' + name, 'ansible.builtin.debug': {'msg': '{{ ansible_failed_result.msg | default("") }}'}}]}


def workload(auth, url, user_ids, echo, dead_url, report_dir):
    """Every module in every target mode with ``auth`` (module args), check and diff, both roles, and failures.

    ``auth`` is empty when the credentials come from the environment; ``url`` None then too.
    """
    conn = dict(auth, retries=0, timeout=10)
    if url:
        conn['url'] = url
    info, close = 'incoplax.platform.ws_session_info', 'incoplax.platform.ws_session'
    tasks = [
        task('info', info, dict(conn, sites='all')),
        task('info filtered', info, dict(conn, sites='all', login=['user0001'])),
        task('close by id preview', close, dict(conn, sites='all', session_id=user_ids['user0001']), check_mode=True, diff=True),
        task('close by id', close, dict(conn, sites='all', session_id=user_ids['user0001']), diff=True),
        task('close by user preview', close, dict(conn, sites='all', user=['user0002'], domain=MASTER), check_mode=True, diff=True),
        task('close by user', close, dict(conn, sites='all', user=['user0002'], domain=MASTER), diff=True),
        task('close by match', close, dict(conn, sites='all', match={'login': ['user0003']}, wait=False), diff=True),
        {'name': 'Show a registered result', 'ansible.builtin.debug': {'var': 'r_close_by_user'}},
        task('unreachable', info, dict(conn, url=dead_url), fails=True),
        task('unreachable close', close, dict(conn, url=dead_url, user=['user0005'], domain=MASTER), fails=True),
        task('401 echoing html', info, dict(conn, url=echo['401']), fails=True),
        task('500 echoing json', close, dict(conn, url=echo['500'], session_id=['x1']), fails=True),
        task('500 echoing nested', info, dict(conn, url=echo['nested']), fails=True),
    ]
    role_conn = dict(conn)
    forced = {'forced_logout_users': ['user0004'], 'forced_logout_domain': MASTER, 'forced_logout_ticket': 'SEC-1',
              'forced_logout_report_dir': str(report_dir / 'forced')}
    audit = {'session_audit_report_dir': str(report_dir / 'audit'), 'session_audit_report_name': 'audit'}
    failing_forced = dict(forced, forced_logout_users=['user0005'], forced_logout_ticket='SEC-2')
    failing_audit = dict(audit, session_audit_report_name='audit-failed')
    if url:
        forced['incoplax_connection'] = audit['incoplax_connection'] = role_conn
        failing_forced['incoplax_connection'] = dict(role_conn, url=echo['500'])
        failing_audit['incoplax_connection'] = dict(role_conn, url=echo['401'])
    else:
        # Credentials from the environment; only the URL is overridden for the failing runs.
        failing_forced['incoplax_connection'] = {'url': echo['500'], 'retries': 0}
        failing_audit['incoplax_connection'] = {'url': echo['401'], 'retries': 0}
    tasks += [
        {'name': 'forced logout', 'ansible.builtin.include_role': {'name': 'incoplax.platform.forced_logout'}, 'vars': forced},
        {'name': 'session audit', 'ansible.builtin.include_role': {'name': 'incoplax.platform.session_audit'}, 'vars': audit},
        attempt_role('failing forced logout', 'incoplax.platform.forced_logout', failing_forced),
        attempt_role('failing session audit', 'incoplax.platform.session_audit', failing_audit),
        {'name': 'Show the role results', 'ansible.builtin.debug': {'msg': '{{ forced_logout_result }} {{ session_audit_result | default(none) }}'}},
    ]
    return tasks


@pytest.fixture
def echo(local_server):
    return {'401': local_server(echo_html(401)).url, '500': local_server(echo_json(500)).url,
            'nested': local_server(echo_nested(500)).url}


def check_workload(run, api, user_ids, report_dir):
    """The work was really done with the credentials, and every failure is clear."""
    assert_no_traceback(run)
    for name in ('info', 'info filtered', 'close by id preview', 'close by user preview'):
        assert not [item for item in run.tasks(name) if item['status'] == 'failed'], run.describe()
    assert run.result('info filtered')['summary']['total'] >= 2
    for name in ('close by id', 'close by user', 'close by match'):
        assert run.task(name)['status'] == 'changed', run.describe()
        assert 'diff' in run.result(name)
    still_open = open_ids(api)
    for login in ('user0001', 'user0002', 'user0003', 'user0004'):
        assert not set(user_ids[login]) & still_open, login
    assert set(user_ids['user0005']) <= still_open
    failures = {
        'unreachable': 'cannot reach', 'unreachable close': 'cannot reach',
        '401 echoing html': 'HTTP 401', '500 echoing json': 'HTTP 500', '500 echoing nested': 'HTTP 500',
    }
    for name, words in failures.items():
        item = run.task(name)
        assert item['status'] == 'failed' and words in item['result']['msg'], (name, item)
    # The echoed credential was there, and came out masked.
    assert '********' in run.result('401 echoing html')['msg'] and '********' in run.result('500 echoing json')['msg']
    assert 'HTTP 500' in run.result('Rescued failing forced logout')['msg']
    assert 'HTTP 401' in run.result('Rescued failing session audit')['msg']
    # Each run writes new files <ticket>.<UTC time>.json, listed in the ticket's ledger.
    evidence = json.loads(next((report_dir / 'forced').glob('SEC-1.*.json')).read_text())
    assert evidence['failure'] is None and evidence['counts']['closed'] == 2
    failed_evidence = json.loads(next((report_dir / 'forced').glob('SEC-2.*.json')).read_text())
    assert 'HTTP 500' in failed_evidence['failure'], failed_evidence
    assert (report_dir / 'audit' / 'audit.json').is_file()


def test_no_secret_in_any_output_with_extra_vars(api, echo, closed_port, run_playbook, tmp_path, secret_vars):
    user_ids = {login: ids_of(api, login) for login in ('user0001', 'user0002', 'user0003', 'user0004', 'user0005')}
    report_dir = tmp_path / 'reports'
    token_auth = {'token': '{{ secret_token }}'}
    basic_auth = {'username': '{{ secret_user }}', 'password': '{{ secret_password }}'}
    dead = 'http://127.0.0.1:%d' % closed_port
    tasks = workload(token_auth, api.url, user_ids, echo, dead, report_dir)
    # The same once more with basic authentication, against the failing endpoints and a real 401.
    tasks += [
        task('basic info', 'incoplax.platform.ws_session_info', dict(basic_auth, url=api.url, retries=0)),
        task('basic wrong password', 'incoplax.platform.ws_session_info',
             {'url': api.url, 'username': 'nobody', 'password': '{{ secret_password }}', 'retries': 0}, fails=True),
        task('basic 500 echoing json', 'incoplax.platform.ws_session',
             dict(basic_auth, url=echo['500'], retries=0, match={'login': ['x']}), fails=True),
        task('basic 401 echoing html', 'incoplax.platform.ws_session_info', dict(basic_auth, url=echo['401'], retries=0), fails=True),
        task('basic unreachable', 'incoplax.platform.ws_session_info', dict(basic_auth, url=dead, retries=0), fails=True),
    ]
    run = run_playbook(tasks, args=secret_vars, verbosity=4, diff=True, env={'ANSIBLE_LOG_PATH': str(tmp_path / 'ansible.log')})
    check_workload(run, api, user_ids, report_dir)
    assert run.task('basic info')['status'] == 'ok'
    assert 'HTTP 401' in run.result('basic wrong password')['msg']
    assert '********' in run.result('basic 500 echoing json')['msg']
    assert (tmp_path / 'ansible.log').stat().st_size > 0
    assert_no_leak(run_texts(run, tmp_path))


def test_no_secret_in_any_output_with_environment(api, echo, closed_port, run_playbook, tmp_path):
    user_ids = {login: ids_of(api, login) for login in ('user0001', 'user0002', 'user0003', 'user0004', 'user0005')}
    report_dir = tmp_path / 'reports'
    dead = 'http://127.0.0.1:%d' % closed_port
    tasks = workload({}, None, user_ids, echo, dead, report_dir)
    env = {'INCOPLAX_URL': api.url, 'INCOPLAX_TOKEN': TOKEN, 'ANSIBLE_LOG_PATH': str(tmp_path / 'ansible.log')}
    run = run_playbook(tasks, verbosity=4, diff=True, env=env)
    check_workload(run, api, user_ids, report_dir)
    assert_no_leak(run_texts(run, tmp_path))


# ansible-runner starts ansible-playbook through pexpect (forkpty) while this process runs server threads.
@pytest.mark.filterwarnings('ignore:This process .* is multi-threaded:DeprecationWarning')
def test_no_secret_in_ansible_runner_artifacts(api, echo, collections_path, tmp_path):
    """As AWX runs it: credentials injected as environment variables, everything captured by ansible-runner."""
    ansible_runner = pytest.importorskip('ansible_runner')
    private = tmp_path / 'runner'
    (private / 'project').mkdir(parents=True)
    (private / 'inventory').mkdir()
    (private / 'inventory' / 'hosts').write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    user_ids = {login: ids_of(api, login) for login in ('user0002', 'user0003')}
    plays = [{'name': 'runner', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        task('info', 'incoplax.platform.ws_session_info', {'sites': 'all', 'retries': 0}),
        task('close by user', 'incoplax.platform.ws_session', {'sites': 'all', 'user': ['user0002'], 'domain': MASTER}, diff=True),
        task('close by id', 'incoplax.platform.ws_session', {'sites': 'all', 'session_id': user_ids['user0003']}, diff=True),
        task('500 echoing json', 'incoplax.platform.ws_session_info', {'url': echo['500'], 'retries': 0}, fails=True),
        {'name': 'session audit', 'ansible.builtin.include_role': {'name': 'incoplax.platform.session_audit'},
         'vars': {'session_audit_report_dir': str(private / 'reports'), 'session_audit_report_name': 'audit'}},
    ]}]
    (private / 'project' / 'playbook.yml').write_text(json.dumps(plays))
    bin_dir = os.path.dirname(sys.executable)
    config = tmp_path / 'ansible.cfg'
    config.write_text('[defaults]\n')
    envvars = {
        'INCOPLAX_URL': api.url, 'INCOPLAX_USERNAME': USERNAME, 'INCOPLAX_PASSWORD': PASSWORD,
        'ANSIBLE_COLLECTIONS_PATH': collections_path, 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'ANSIBLE_HOME': str(tmp_path / 'ansible_home'), 'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'local_tmp'),
        'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_CONFIG': str(config),
        'PATH': os.pathsep.join([bin_dir, os.environ.get('PATH', '')]),
        'NO_PROXY': '127.0.0.1,localhost', 'no_proxy': '127.0.0.1,localhost',
    }
    result = ansible_runner.run(private_data_dir=str(private), playbook='playbook.yml', envvars=envvars, verbosity=4,
                                quiet=True, ident='secrets')
    stdout = result.stdout.read()
    events = list(result.events)
    assert result.rc == 0 and result.status == 'successful', stdout[-4000:]
    assert 'Traceback' not in stdout
    ok = {event['event_data'].get('task'): event['event'] for event in events if event['event'].startswith('runner_on_')}
    assert ok.get('close by user') == ok.get('close by id') == 'runner_on_ok', ok
    assert ok.get('500 echoing json') == 'runner_on_failed', ok
    echoed = [event['event_data']['res']['msg'] for event in events
              if event['event'] == 'runner_on_failed' and event['event_data'].get('task') == '500 echoing json']
    assert echoed and 'HTTP 500' in echoed[0] and '********' in echoed[0], echoed
    still_open = open_ids(api)
    assert set(ids_of_closed(events, 'close by user')) == set(user_ids['user0002'])
    assert not set(user_ids['user0002'] + user_ids['user0003']) & still_open
    # The runner records the environment of the run in artifacts/<ident>/command by design (and keeps the input
    # in env/envvars): those are the credentials' storage, like AWX's own. Everything else must be clean.
    artifacts = private / 'artifacts' / 'secrets'
    command = json.loads((artifacts / 'command').read_text())
    assert command['env']['INCOPLAX_PASSWORD'] == PASSWORD
    assert (artifacts / 'job_events').is_dir() and list((artifacts / 'job_events').iterdir())
    texts = {'runner stdout': stdout, 'runner events': json.dumps(events)}
    texts.update(('file ' + name, text) for name, text in files_under(private, skip=RUNNER_ENV_FILES + ('envvars',)).items())
    assert any(name.startswith('file artifacts/secrets/job_events/') for name in texts)
    assert_no_leak(texts)


def ids_of_closed(events, task_name):
    for event in events:
        data = event.get('event_data', {})
        if event['event'] == 'runner_on_ok' and data.get('task') == task_name:
            return [entry['session_id'] for entry in data['res']['closed']]
    return []


def test_redirect_to_another_host_never_carries_credentials(local_server, run_playbook, tmp_path, secret_vars):
    # The second host: a server on 127.0.0.2 that records what it receives.
    elsewhere = local_server(lambda request: json_answer(200, []), host='127.0.0.2')
    entry = {'session_id': 'r-0001', 'session_type': 'http', 'site': 'central', 'domain': MASTER, 'login': 'victim',
             'user_id': 'u-0001', 'ttl': 600}

    def redirector(status, everything):
        def answer(request):
            if request['method'] == 'GET' and not everything:
                return json_answer(200, [entry])
            return status, {'Location': elsewhere.url + request['path']}, b''
        return answer

    get_302 = local_server(redirector(302, True))
    get_301 = local_server(redirector(301, True))
    post_307 = local_server(redirector(307, False))
    delete_308 = local_server(redirector(308, False))
    token = {'token': '{{ secret_token }}', 'retries': 2}
    basic = {'username': '{{ secret_user }}', 'password': '{{ secret_password }}', 'retries': 2}
    info, close = 'incoplax.platform.ws_session_info', 'incoplax.platform.ws_session'
    tasks = [
        task('list 302', info, dict(token, url=get_302.url), fails=True),
        task('list 301 basic', info, dict(basic, url=get_301.url), fails=True),
        task('logout 307', close, dict(token, url=post_307.url, user=['victim'], domain=MASTER), fails=True),
        task('delete 308 basic', close, dict(basic, url=delete_308.url, session_id=['r-0001']), fails=True),
    ]
    run = run_playbook(tasks, args=secret_vars, verbosity=3)
    assert_no_traceback(run)
    # Not one request reached the other host, with or without credentials.
    assert elsewhere.requests == []
    # The first host did get the credentials (the redirect was really answered to an authenticated request).
    assert get_302.requests[0]['headers']['Authorization'] == 'Bearer ' + TOKEN
    assert get_301.requests[0]['headers']['Authorization'] == 'Basic ' + BASIC
    assert [r['method'] for r in post_307.requests] == ['GET', 'POST', 'GET']
    assert [r['method'] for r in delete_308.requests] == ['GET', 'DELETE', 'GET']
    target = elsewhere.url.replace('http://', '')
    for name, status in (('list 302', 302), ('list 301 basic', 301)):
        item = run.task(name)
        assert item['status'] == 'failed', item
        message = item['result']['msg']
        assert 'HTTP %d' % status in message and 'redirect to http://%s' % target in message and 'not followed' in message, message
    for name, status, method in (('logout 307', 307, 'POST'), ('delete 308 basic', 308, 'DELETE')):
        result = run.result(name)
        assert run.task(name)['status'] == 'failed' and result['closed'] == []
        assert [t['status'] for t in result['failed_targets']] == [status], result
        assert '%s %s' % (method, SESSIONS_PATH) in result['msg'] and 'not followed' in result['msg'], result['msg']
    assert_no_leak(run_texts(run, tmp_path))


def test_echoed_authorization_header_is_masked(local_server, run_playbook, tmp_path, secret_vars):
    """A server that repeats the Authorization header as it arrived (Basic carries the password in base64)."""
    header_500 = local_server(echo_header(500))
    header_401 = local_server(echo_header(401))
    basic = {'username': '{{ secret_user }}', 'password': '{{ secret_password }}', 'retries': 0}
    token = {'token': '{{ secret_token }}', 'retries': 0}
    tasks = [
        task('basic 500', 'incoplax.platform.ws_session_info', dict(basic, url=header_500.url), fails=True),
        task('basic 401', 'incoplax.platform.ws_session', dict(basic, url=header_401.url, match={'login': ['x']}), fails=True),
        task('token 500', 'incoplax.platform.ws_session_info', dict(token, url=header_500.url), fails=True),
    ]
    run = run_playbook(tasks, args=secret_vars, verbosity=4)
    assert_no_traceback(run)
    assert header_500.requests[0]['headers']['Authorization'] == 'Basic ' + BASIC
    for name, status in (('basic 500', 500), ('basic 401', 401), ('token 500', 500)):
        item = run.task(name)
        assert item['status'] == 'failed' and 'HTTP %d' % status in item['result']['msg'], item
    assert_no_leak(run_texts(run, tmp_path))


# ---------------------------------------------------------------------------------------------------- every encoding

# Credentials with the characters encodings treat specially: '/' (JSON's \/), '"', '+', a space (quote_plus), latin-1
# and non-latin-1 letters (\uXXXX escapes, UTF-8 bytes read as latin-1 when a text body has no charset).
U_TOKEN = 'tok/S3cr3t+é"9b1c'
U_USERNAME = 'opsädmin'
U_PASSWORD = 'pä/ss"wörd €-S3cr3t'
U_BASIC = [base64.b64encode(('%s:%s' % (U_USERNAME, U_PASSWORD)).encode(encoding)).decode() for encoding in ('utf-8',)]


def hex_case(text, upper):
    def fix(match):
        return match.group(1) + (match.group(2).upper() if upper else match.group(2).lower())
    return re.sub(r'(\\u|%)([0-9a-fA-F]{4}|[0-9a-fA-F]{2})', fix, text)


def encodings_of(secret):
    """{form name: text} of every form the contract names, for one secret."""
    ascii_json = json.dumps(secret)[1:-1]
    forms = {
        'raw': secret,
        'json': ascii_json,
        'json, \\/': ascii_json.replace('/', '\\/'),
        'json, upper hex, \\/': hex_case(ascii_json, True).replace('/', '\\/'),
        'json, not ascii, \\/': json.dumps(secret, ensure_ascii=False)[1:-1].replace('/', '\\/'),
        'quote': quote(secret, safe=''),
        'quote, lower hex': hex_case(quote(secret, safe=''), False),
        'quote_plus': quote_plus(secret),
        'utf-8 read as latin-1': secret.encode('utf-8').decode('latin-1'),
    }
    return {name: text for name, text in forms.items() if text}


def every_form():
    """{label: form} of every form of every credential of this test: the token, the password, the basic credential."""
    found = {}
    for label, secret in [('token', U_TOKEN), ('password', U_PASSWORD)] + [('basic credential', value) for value in U_BASIC]:
        for name, text in encodings_of(secret).items():
            found['%s (%s)' % (label, name)] = text
    return found


def echoed_secrets(request):
    """The credentials a request carried: [token] or [password, base64 of user:password]."""
    scheme, _sep, value = request['headers'].get('Authorization', '').partition(' ')
    if scheme.lower() == 'basic':
        return [base64.b64decode(value).decode('utf-8').partition(':')[2], value]
    return [value]


def echo_everything(style, listing=None):
    """A server echoing the request's credentials in every form; ``listing`` (entries) answers GET with 200."""
    def answer(request):
        if listing is not None and request['method'] == 'GET':
            return json_answer(200, listing)
        secrets = echoed_secrets(request)
        forms = [text for secret in secrets for text in encodings_of(secret).values()]
        # The reason phrase: the UTF-8 bytes of the credential on the status line (http.client reads them as latin-1).
        reason = 'Denied %s' % secrets[0].encode('utf-8').decode('latin-1')
        if style == 'json':
            # Written by hand: \/ and \uXXXX escapes in both cases, next to the raw UTF-8 text.
            body = '{"error": "denied", "message": "you sent %s", "debug": {"seen": "%s"}}' % (
                ' | '.join(form.replace('"', '\\"') if '\\"' not in form else form for form in forms[1:5]),
                hex_case(json.dumps(secrets[-1])[1:-1], True).replace('/', '\\/'))
            return (401, reason), {'Content-Type': 'application/json'}, body.encode('utf-8')
        if style == 'text':
            # text/plain without a charset: requests alone would read these UTF-8 bytes as latin-1.
            return (500, reason), {'Content-Type': 'text/plain'}, ('refused: %s' % ' ; '.join(forms)).encode('utf-8')
        page = '<html><body><h1>403</h1><p>%s</p></body></html>' % '</p><p>'.join(forms)
        return (403, reason), {'Content-Type': 'text/html'}, page.encode('utf-8')
    return answer


def serve_with_reason(server):
    """Let ``server``'s answer give ``(status, reason phrase)`` as its status."""
    handler = server.httpd.RequestHandlerClass
    original = handler.send_response

    def send_response(self, code, message=None):
        if isinstance(code, tuple):
            code, message = code
        original(self, code, message)

    handler.send_response = send_response
    return server


@pytest.fixture
def unicode_secret_vars(tmp_path_factory):
    path = tmp_path_factory.mktemp('unicode_secret_vars') / 'secrets.json'
    path.write_text(json.dumps({'u_token': U_TOKEN, 'u_user': U_USERNAME, 'u_password': U_PASSWORD,
                                'newline_token': U_TOKEN + '\n', 'spaced_password': ' ' + U_PASSWORD,
                                'euro_token': 'tok-€-S3cr3t-euro'}))
    return ('-e', '@%s' % path)


def all_output(run, tmp_path):
    texts = run_texts(run, tmp_path)
    # The results file is JSON with ASCII escapes: search its values as text too.
    texts['task results, decoded'] = json.dumps(run.results, ensure_ascii=False)
    return texts


@pytest.mark.parametrize('verbosity', [0, 4])
def test_credentials_echoed_in_every_encoding_never_show(local_server, run_playbook, tmp_path, unicode_secret_vars, verbosity):
    entry = {'session_id': 'e-0001', 'session_type': 'http', 'site': 'central', 'domain': MASTER, 'login': 'victim',
             'user_id': 'u-0001', 'ttl': 600}
    servers = {}
    for style in ('json', 'text', 'html'):
        servers[style] = serve_with_reason(local_server(echo_everything(style)))
        servers[style + ' listing'] = serve_with_reason(local_server(echo_everything(style, listing=[entry])))
    auths = {'token': {'token': '{{ u_token }}'}, 'basic': {'username': '{{ u_user }}', 'password': '{{ u_password }}'}}
    info, close = 'incoplax.platform.ws_session_info', 'incoplax.platform.ws_session'
    report_dir = tmp_path / 'reports'
    tasks = []
    for auth_name, auth in auths.items():
        for style in ('json', 'text', 'html'):
            conn = dict(auth, retries=0, url=servers[style].url)
            listed = dict(conn, url=servers[style + ' listing'].url)
            tasks += [
                task('%s %s info' % (auth_name, style), info, conn, fails=True),
                task('%s %s logout' % (auth_name, style), close, dict(listed, user=['victim'], domain=MASTER), fails=True),
                task('%s %s delete' % (auth_name, style), close, dict(listed, session_id=['e-0001']), fails=True),
            ]
        tasks.append(attempt_role('%s forced logout' % auth_name, 'incoplax.platform.forced_logout', {
            'forced_logout_users': ['victim'], 'forced_logout_domain': MASTER, 'forced_logout_ticket': 'ENC-%s' % auth_name,
            'forced_logout_report_dir': str(report_dir), 'incoplax_connection': dict(auth, retries=0, url=servers['json listing'].url)}))
    run = run_playbook(tasks, args=unicode_secret_vars, verbosity=verbosity, diff=True)
    assert_no_traceback(run)
    # The servers really echoed the credentials: they received them, and every answer failed the task.
    assert any(r['headers'].get('Authorization') == 'Bearer ' + U_TOKEN for r in servers['json'].requests)
    assert any(r['headers'].get('Authorization') == 'Basic ' + U_BASIC[0] for r in servers['text'].requests)
    for auth_name in auths:
        for style, status in (('json', 401), ('text', 500), ('html', 403)):
            item = run.task('%s %s info' % (auth_name, style))
            assert item['status'] == 'failed' and 'HTTP %d' % status in item['result']['msg'], item
            assert 'Denied ********' in item['result']['msg'] and '********' in item['result']['error']['excerpt'], item
            for kind, method in (('logout', 'POST'), ('delete', 'DELETE')):
                result = run.task('%s %s %s' % (auth_name, style, kind))['result']
                (failed_target,) = result['failed_targets']
                assert failed_target['status'] == status and method in failed_target['error'], result
                assert '********' in failed_target['error'] and result['closed'] == []
        evidence = json.loads(next(report_dir.glob('ENC-%s.*.json' % auth_name)).read_text())
        assert 'HTTP 401' in json.dumps(evidence), evidence
    found = leaks(all_output(run, tmp_path), every_form())
    assert not found, 'secrets found in the output:\n' + '\n'.join(found)


def test_credentials_that_cannot_be_sent_are_refused_without_showing_them(local_server, run_playbook, tmp_path, unicode_secret_vars):
    recorder = local_server(lambda request: json_answer(200, []))
    info = 'incoplax.platform.ws_session_info'
    tasks = [
        task('token with a newline', info, {'url': recorder.url, 'token': '{{ newline_token }}'}, fails=True),
        task('token from a YAML block', info, {'url': recorder.url, 'token': '{{ u_token }}\n'}, fails=True),
        task('password with a space', info, {'url': recorder.url, 'username': '{{ u_user }}', 'password': '{{ spaced_password }}'},
             fails=True),
        task('token not latin-1', info, {'url': recorder.url, 'token': '{{ euro_token }}'}, fails=True),
        task('bad IPv6 url', info, {'url': 'http://[::1', 'token': '{{ u_token }}'}, fails=True),
        task('credentials in url', info, {'url': recorder.url.replace('//', '//%s:{{ u_password }}@' % U_USERNAME), 'token': '{{ u_token }}'},
             fails=True),
    ]
    for verbosity in (0, 4):
        run = run_playbook(tasks, args=unicode_secret_vars, verbosity=verbosity)
        assert_no_traceback(run)
        expected = {
            'token with a newline': 'token: has leading or trailing whitespace or a line break (a YAML | block or echo adds one); '
                                    'remove it, for example with | trim',
            'token from a YAML block': 'token: has leading or trailing whitespace',
            'password with a space': 'password: has leading or trailing whitespace',
            'token not latin-1': 'token: contains characters that cannot be sent in an HTTP header',
            'bad IPv6 url': "url: 'http://[::1' is not a valid URL",
            'credentials in url': 'url: ',
        }
        for name, message in expected.items():
            item = run.task(name)
            assert item['status'] == 'failed' and item['result']['msg'].startswith(message), (name, item['result'])
        assert recorder.requests == []
        forms = dict(every_form())
        forms.update(('euro token (%s)' % name, text) for name, text in encodings_of('tok-€-S3cr3t-euro').items())
        found = leaks(all_output(run, tmp_path), forms)
        assert not found, 'secrets found in the output:\n' + '\n'.join(found)
