# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark of the collection against the API emulator: ``bash hacking/bench/run.sh`` (``make bench``).

For each ansible-core venv given (``--venv``, repeatable; run.sh gives the 2.16 one and the newest), in the same
run and against the same seeded emulator (4 sites, 10 sessions per user, ``--latency-ms`` added to every request):

- the FLOOR: the start-up of a one-task ansible-playbook (floor.yml, a debug) PLUS a bare Python HTTP script
  (floor_http.py) sending the same requests as the role: one listing, one POST per user at the role's
  concurrency over a pool of kept-alive connections, one listing;
- the forced_logout role end to end, evidence written (forced_logout.yml), and its ratio to the floor. Floor and
  role alternate, ``--repeat`` times; the median ratio is the one checked (at most 1.5, aim 1.3);
- the role at ``--large-users`` (10,000 users, 100,000 sessions): time per session against the main run, and the
  module's peak memory.

Then, with the last venv, the ``uri``-loop baseline and its ratio per session. Exit code 1 when a check fails.
Results also go to ``--out`` (default tests/output/bench) as JSON and Markdown. Figures come from here, never from
timed tests. Each emulator is reset (data and counters) before each run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import platform
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMULATOR_PATH = os.path.join(ROOT, 'extensions', 'emulator')
LISTEN_RE = re.compile(r'incoplax-emulator listening on (https?://\S+)')
TOKEN = 'bench-token-3f9c'
SITES = 'a,b,c,d'
SESSIONS_PER_USER = 10
DOMAIN = 'master.domain'
PLAYBOOK_TIMEOUT = 900
NO_PROXY = {'no_proxy': '127.0.0.1,localhost', 'NO_PROXY': '127.0.0.1,localhost'}


def log(message):
    sys.stderr.write('[bench %s] %s\n' % (time.strftime('%H:%M:%S'), message))
    sys.stderr.flush()


def clean_env(extra=None):
    env = {key: value for key, value in os.environ.items() if not key.startswith(('INCOPLAX_', 'ANSIBLE_'))}
    env.update(NO_PROXY)
    env.update(extra or {})
    return env


class Emulator:
    """One seeded emulator process, reset (data, counters, faults) before every measured run."""

    def __init__(self, name, users, latency_ms, workdir):
        self.name = name
        self.users = users
        self.latency_ms = latency_ms
        self.url = None
        self._stderr = open(os.path.join(workdir, 'emulator-%s.stderr' % name), 'w')
        args = [sys.executable, '-m', 'incoplax_emulator', '--port', '0', '--token', TOKEN, '--sites', SITES,
                '--users', str(users), '--sessions-per-user', str(SESSIONS_PER_USER), '--domain', DOMAIN]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     env=clean_env({'PYTHONPATH': EMULATOR_PATH}))

    def wait_ready(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, dummy, dummy = select.select([self.proc.stdout], [], [], 1.0)
            if ready:
                line = self.proc.stdout.readline()
                match = LISTEN_RE.search(line or '')
                if match:
                    self.url = match.group(1)
                    return
            if self.proc.poll() is not None:
                break
        raise RuntimeError('emulator %s did not start (see its stderr in the work directory)' % self.name)

    def control(self, method, path, body=None, timeout=120):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={'Content-Type': 'application/json'} if data else {})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=timeout) as answer:
            return json.loads(answer.read() or b'null')

    def reset(self):
        """Fresh seeded data and zero counters, then the latency again (reset clears every fault)."""
        self.control('POST', '/_emulator/reset')
        self.control('POST', '/_emulator/faults', {'latency_ms': self.latency_ms})
        state = self.control('GET', '/_emulator/state?sessions=false')
        return state['session_count']

    def counters(self):
        """The counters once every request has ended (in_flight 0)."""
        deadline = time.monotonic() + 30
        while True:
            state = self.control('GET', '/_emulator/state?sessions=false')
            if state['counters'].get('in_flight', 0) == 0 or time.monotonic() > deadline:
                return dict(state['counters'], session_count=state['session_count'])
            time.sleep(0.05)

    def cpu_seconds(self):
        """CPU time (user + system) of the emulator process so far, from /proc (None elsewhere)."""
        try:
            with open('/proc/%d/stat' % self.proc.pid) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
        except (OSError, ValueError, IndexError):
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()


def users_of(count):
    return ['user%04d' % number for number in range(1, count + 1)]


def wait_child(proc, timeout):
    """os.wait4 on ``proc``: (exit code, rusage of it and its waited-for descendants)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.01)


class Bench:
    def __init__(self, options):
        self.options = options
        self.work = tempfile.mkdtemp(prefix='incoplax-bench-')
        collections = os.path.join(self.work, 'collections', 'ansible_collections', 'incoplax')
        os.makedirs(collections)
        os.symlink(os.path.abspath(options.collection), os.path.join(collections, 'platform'))
        self.collections_path = os.path.join(self.work, 'collections')
        self.info = {'cores': []}
        self.emulators = {}
        self.runs = []

    def close(self):
        for emulator in self.emulators.values():
            emulator.stop()
        if not self.options.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    # --- running things -------------------------------------------------------------------------------

    def playbook(self, venv, name, playbook, emulator, extra_vars, label):
        """Run one playbook of ``venv`` against a freshly reset emulator; every measurement of that run."""
        tag = re.sub(r'[^A-Za-z0-9]+', '-', label).strip('-')
        timer_file = os.path.join(self.work, 'timer-%s.jsonl' % tag)
        rss_file = os.path.join(self.work, 'rss-%s.txt' % tag)
        vars_file = os.path.join(self.work, 'vars-%s.json' % tag)
        report_dir = os.path.join(self.work, 'evidence-%s' % tag)
        extra = dict(extra_vars, bench_report_dir=report_dir, bench_python=os.path.join(HERE, 'python-rss.sh'))
        if emulator is not None:
            extra.update(bench_url=emulator.url, bench_token=TOKEN)
        with open(vars_file, 'w') as handle:
            json.dump(extra, handle)
        sessions_before = emulator.reset() if emulator is not None else 0
        env = clean_env({
            'ANSIBLE_COLLECTIONS_PATH': self.collections_path,
            'ANSIBLE_CALLBACK_PLUGINS': os.path.join(HERE, 'callback_plugins'),
            'ANSIBLE_LOCALHOST_WARNING': 'False',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'False',
            'ANSIBLE_NOCOLOR': '1',
            'BENCH_TIMER_FILE': timer_file,
            'BENCH_RSS_FILE': rss_file,
            'BENCH_PYTHON': os.path.join(venv, 'bin', 'python'),
        })
        cpu_before = emulator.cpu_seconds() if emulator is not None else None
        with open(os.path.join(self.work, 'playbook-%s.log' % tag), 'w') as output:
            started = time.monotonic()
            proc = subprocess.Popen([os.path.join(venv, 'bin', 'ansible-playbook'), os.path.join(HERE, playbook),
                                     '-e', '@' + vars_file], stdout=output, stderr=subprocess.STDOUT, env=env, cwd=self.work)
            code, usage = wait_child(proc, PLAYBOOK_TIMEOUT)
            wall = time.monotonic() - started
        counters = emulator.counters() if emulator is not None else {}
        cpu_after = emulator.cpu_seconds() if emulator is not None else None
        tasks, cpu_split = [], {}
        if os.path.exists(timer_file):
            with open(timer_file) as handle:
                for line in handle:
                    if line.strip():
                        item = json.loads(line)
                        if 'seconds' in item:
                            tasks.append(item)
                        else:
                            cpu_split = item
        modules = []
        if os.path.exists(rss_file):
            with open(rss_file) as handle:
                for line in handle:
                    match = re.match(r'^(\d+) ([\d.]+) .*AnsiballZ_(\w+)\.py', line)
                    if match:
                        modules.append({'module': match.group(3), 'rss_kib': int(match.group(1)),
                                        'seconds': float(match.group(2))})
        run = {
            'name': name, 'label': label, 'rc': code, 'wall': wall,
            'cpu': usage.ru_utime + usage.ru_stime, 'tree_rss_kib': usage.ru_maxrss,
            'controller_cpu': cpu_split.get('controller'), 'counters': counters, 'sessions_before': sessions_before,
            'emulator_cpu': (cpu_after - cpu_before) if cpu_before is not None and cpu_after is not None else None,
            'tasks': tasks, 'modules': modules, 'report_dir': report_dir,
        }
        if code != 0:
            log('%s FAILED (rc %s), log: %s' % (label, code, os.path.join(self.work, 'playbook-%s.log' % tag)))
            self.options.keep = True
        return run

    def floor(self, venv, emulator, core):
        """Start-up of a one-task playbook plus the bare HTTP script, each timed alone; their sum is the floor."""
        startup = self.playbook(venv, 'floor-startup', 'floor.yml', None, {}, '%s floor start-up' % core)
        emulator.reset()
        python = os.path.join(venv, 'bin', 'python')
        started = time.monotonic()
        proc = subprocess.Popen([python, os.path.join(HERE, 'floor_http.py'), emulator.url, TOKEN, DOMAIN,
                                 str(emulator.users), str(self.options.concurrency)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=clean_env(), cwd=self.work, text=True)
        code, usage = wait_child(proc, PLAYBOOK_TIMEOUT)
        http = time.monotonic() - started
        output = proc.stdout.read()
        counters = emulator.counters()
        if code != 0 or counters.get('POST') != emulator.users:
            raise RuntimeError('floor HTTP script failed (rc %s): %s %s' % (code, output[-500:], counters))
        floor = {'startup': startup['wall'], 'http': http, 'http_cpu': usage.ru_utime + usage.ru_stime,
                 'total': startup['wall'] + http, 'rc': startup['rc']}
        log('%-34s %6.2f s  (start-up %.2f s + HTTP %.2f s, %.2f CPU s)' % (
            '%s floor' % core, floor['total'], floor['startup'], http, floor['http_cpu']))
        return floor

    def role_run(self, venv, emulator, label):
        users = emulator.users
        run = self.playbook(venv, 'role', 'forced_logout.yml', emulator,
                            {'forced_logout_users': users_of(users), 'forced_logout_concurrency': self.options.concurrency},
                            label)
        run.update(users=users, sessions=users * SESSIONS_PER_USER, concurrency=self.options.concurrency)
        run['close_task'] = sum(t['seconds'] for t in run['tasks'] if t['task'].endswith('verify and record'))
        # The containment runs in the worker of the forced_logout_run action (no module process): the peak RSS of the
        # largest process of the run (wait4's ru_maxrss over the process tree) is its memory.
        run['peak_rss_kib'] = run['tree_rss_kib'] or None
        run['evidence_ok'] = False
        if run['rc'] == 0:
            with open(os.path.join(run['report_dir'], 'BENCH.ledger.jsonl')) as handle:
                record = json.loads(handle.read().splitlines()[-1])
            names = [item['name'] for item in record['files'].values()]
            run['evidence_closed'] = record['counts']['closed']
            run['evidence_ok'] = (record['counts']['closed'] == run['sessions'] and record['outcome'] == 'contained'
                                  and all(os.path.exists(os.path.join(run['report_dir'], name)) for name in names))
        shutil.rmtree(run['report_dir'], ignore_errors=True)
        counters = run['counters']
        run['requests_ok'] = (counters.get('POST') == users and counters.get('DELETE', 0) == 0
                              and counters.get('total', 0) <= users + 10)
        log('%-34s %6.2f s  GET %d POST %d DELETE %d, CPU %.2f s' % (
            label, run['wall'], counters.get('GET', 0), counters.get('POST', 0), counters.get('DELETE', 0), run['cpu']))
        self.runs.append(run)
        return run

    def baseline_run(self, venv, emulator):
        run = self.playbook(venv, 'baseline', 'baseline_uri.yml', emulator, {'forced_logout_users': users_of(emulator.users)},
                            'baseline uri loop %d users' % emulator.users)
        run.update(users=emulator.users, sessions=emulator.users * SESSIONS_PER_USER)
        log('%-34s %6.2f s' % (run['label'], run['wall']))
        self.runs.append(run)
        return run

    def core_version(self, venv):
        return subprocess.run([os.path.join(venv, 'bin', 'python'), '-c',
                               'from ansible.release import __version__; import sys; '
                               'print(__version__, "%d.%d.%d" % sys.version_info[:3])'],
                              capture_output=True, text=True, check=True, env=clean_env()).stdout.split()

    # --- the whole bench ------------------------------------------------------------------------------

    def machine(self):
        cpu = 'unknown'
        try:
            with open('/proc/cpuinfo') as handle:
                for line in handle:
                    if line.startswith('model name'):
                        cpu = line.split(':', 1)[1].strip()
                        break
        except OSError:
            pass
        return {'nproc': os.cpu_count(), 'cpu': cpu, 'kernel': platform.release(), 'load_at_start': os.getloadavg()}

    def run(self):
        options = self.options
        self.info['machine'] = self.machine()
        log('machine: %(nproc)s CPUs, %(cpu)s, load %(load_at_start)s' % self.info['machine'])
        sizes = {'main': options.users}
        if options.large_users:
            sizes['large'] = options.large_users
        if options.baseline_users:
            sizes['baseline'] = options.baseline_users
        for name, users in sizes.items():
            self.emulators[name] = Emulator(name, users, options.latency_ms, self.work)
        for emulator in self.emulators.values():
            emulator.wait_ready()
        main = self.emulators['main']
        for venv in options.venv:
            core, python = self.core_version(venv)
            log('ansible-core %s (Python %s) in %s' % (core, python, venv))
            pairs = []
            for index in range(options.repeat):
                floor = self.floor(venv, main, core)
                role = self.role_run(venv, main, '%s role %d users #%d' % (core, main.users, index + 1))
                pairs.append({'floor': floor, 'role': role, 'ratio': role['wall'] / floor['total']})
            entry = {'core': core, 'python': python, 'venv': venv, 'pairs': pairs}
            if 'large' in self.emulators:
                entry['large'] = self.role_run(venv, self.emulators['large'], '%s role %d users' % (
                    core, self.emulators['large'].users))
            self.info['cores'].append(entry)
        if 'baseline' in self.emulators:
            self.info['baseline'] = self.baseline_run(options.venv[-1], self.emulators['baseline'])
        self.info['machine']['load_at_end'] = os.getloadavg()


# --- report ---------------------------------------------------------------------------------------------

def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def median_pair(entry):
    return sorted(entry['pairs'], key=lambda pair: pair['ratio'])[len(entry['pairs']) // 2]


def mib(kib):
    return '%.0f' % (kib / 1024.0) if kib else 'n/a'


def per_session_ms(run):
    return 1000.0 * run['wall'] / run['sessions']


def report(bench):
    info = bench.info
    machine = info['machine']
    options = bench.options
    lines = ['## Machine', '',
             '- %s CPUs (nproc), %s; kernel %s' % (machine['nproc'], machine['cpu'], machine['kernel']),
             '- load average (1, 5, 15 min) at start %s, at end %s' % (
                 ', '.join('%.2f' % x for x in machine['load_at_start']),
                 ', '.join('%.2f' % x for x in machine['load_at_end'])),
             '- emulator: %s sites, %d sessions per user (every third also a websocket entry), %s ms added latency per '
             'request; role and floor at concurrency %d' % (len(SITES.split(',')), SESSIONS_PER_USER,
                                                            options.latency_ms, options.concurrency),
             '', '## Role against the floor, %d users (%d sessions), same run' % (options.users, options.users * SESSIONS_PER_USER),
             '', '| ansible-core (Python) | run | floor: start-up s | floor: HTTP script s | floor s | role s | ratio '
             '| role CPU s (controller main) | peak RSS MiB (largest process) |', '|---|---|---|---|---|---|---|---|---|']
    for entry in info['cores']:
        for index, pair in enumerate(entry['pairs']):
            role, floor = pair['role'], pair['floor']
            lines.append('| %s (%s) | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f (%s) | %s |' % (
                entry['core'], entry['python'], index + 1, floor['startup'], floor['http'], floor['total'], role['wall'],
                pair['ratio'], role['cpu'], '%.2f' % role['controller_cpu'] if role['controller_cpu'] is not None else '-',
                mib(role['peak_rss_kib'])))
    lines += ['', '| ansible-core | median ratio (role / floor) | target 1.3, bar 1.5 |', '|---|---|---|']
    for entry in info['cores']:
        ratio = median_pair(entry)['ratio']
        verdict = 'ok' if ratio <= 1.3 else 'over target' if ratio <= 1.5 else 'OVER THE BAR'
        lines.append('| %s | %.2f | %s |' % (entry['core'], ratio, verdict))
    if any('large' in entry for entry in info['cores']):
        lines += ['', '## Linear growth', '', '| ansible-core | users | sessions | wall s | ms per session | vs %d users '
                  '| peak RSS MiB (largest process) | CPU s |' % options.users, '|---|---|---|---|---|---|---|---|']
        for entry in info['cores']:
            main = median_pair(entry)['role']
            for run in (main, entry.get('large')):
                if run is not None:
                    lines.append('| %s | %d | %d | %.2f | %.3f | %.2fx | %s | %.2f |' % (
                        entry['core'], run['users'], run['sessions'], run['wall'], per_session_ms(run),
                        per_session_ms(run) / per_session_ms(main), mib(run['peak_rss_kib']), run['cpu']))
    if 'baseline' in info:
        baseline = info['baseline']
        main = median_pair(info['cores'][-1])['role']
        lines += ['', '## uri loop', '', 'ansible.builtin.uri lists the sessions, then one uri DELETE per session of '
                  '%d users (%d sessions), with ansible-core %s: %.2f s, %.1f ms per session; the role: %.3f ms per '
                  'session, %.0fx less.' % (baseline['users'], baseline['sessions'], info['cores'][-1]['core'],
                                            baseline['wall'], per_session_ms(baseline), per_session_ms(main),
                                            per_session_ms(baseline) / per_session_ms(main))]
    for entry in info['cores']:
        main = median_pair(entry)['role']
        lines += ['', '## Per task, ansible-core %s, %s' % (entry['core'], main['label']), '', '| task | s |', '|---|---|']
        for task in main['tasks']:
            if task['seconds'] >= 0.05 or task['task'].startswith('('):
                lines.append('| %s | %.2f |' % (task['task'].split(' : ', 1)[-1][:90], task['seconds']))
    lines += ['', '## Checks', '']
    lines += ['- %s %s' % ('PASS' if ok else 'FAIL', text) for ok, text in checks(bench)]
    return '\n'.join(lines) + '\n'


def checks(bench):
    info = bench.info
    found = []
    found.append((all(run['rc'] == 0 for run in bench.runs), 'every playbook run succeeded'))
    roles = [run for run in bench.runs if run['name'] == 'role']
    found.append((all(run['evidence_ok'] for run in roles),
                  'every role run closed every session of the targets and wrote its evidence files and ledger record'))
    found.append((all(run['requests_ok'] for run in roles),
                  'every role run sent one POST per user, no DELETE, at most users + 10 requests'))
    for entry in info['cores']:
        ratio = median_pair(entry)['ratio']
        found.append((ratio <= 1.5, 'ansible-core %s: role / floor %.2f (median of %s), bar 1.5, target 1.3' % (
            entry['core'], ratio, ', '.join('%.2f' % pair['ratio'] for pair in entry['pairs']))))
        if 'large' in entry:
            main, large = median_pair(entry)['role'], entry['large']
            found.append((per_session_ms(large) <= per_session_ms(main),
                          'ansible-core %s: %d users, %.3f ms per session, not more than at %d users (%.3f ms); peak '
                          'RSS (largest process) %s MiB' % (entry['core'], large['users'], per_session_ms(large),
                                                            main['users'], per_session_ms(main), mib(large['peak_rss_kib']))))
    if 'baseline' in info:
        main = median_pair(info['cores'][-1])['role']
        ratio = per_session_ms(info['baseline']) / per_session_ms(main)
        found.append((ratio >= 50, 'per session %.0fx faster than the uri loop, target at least 50x' % ratio))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--venv', action='append', required=True,
                        help='venv with ansible-core (ansible-playbook and the modules\' Python); repeat for several')
    parser.add_argument('--users', type=int, default=1000, help='users of the main scenario (default 1000)')
    parser.add_argument('--large-users', type=int, default=10000, help='users of the growth run, 0 to skip (default 10000)')
    parser.add_argument('--baseline-users', type=int, default=5, help='users of the uri-loop baseline, 0 to skip (default 5)')
    parser.add_argument('--concurrency', type=int, default=16, help='the role\'s and the floor\'s concurrency (default 16)')
    parser.add_argument('--latency-ms', type=float, default=20, help='latency added by the emulator (default 20)')
    parser.add_argument('--repeat', type=int, default=3, help='floor + role pairs per core, median ratio (default 3)')
    parser.add_argument('--out', default=os.path.join(ROOT, 'tests', 'output', 'bench'), help='results directory')
    parser.add_argument('--keep', action='store_true', help='keep the work directory (logs, timings)')
    parser.add_argument('--collection', default=ROOT,
                        help='collection tree to measure, e.g. an older version from git archive (default: this one)')
    options = parser.parse_args()
    bench = Bench(options)
    started = time.monotonic()
    try:
        bench.run()
        text = report(bench)
    finally:
        bench.close()
    text += '\nBench wall time: %.0f s%s\n' % (time.monotonic() - started,
                                               '; work directory kept: %s' % bench.work if options.keep else '')
    os.makedirs(options.out, exist_ok=True)
    with open(os.path.join(options.out, 'results.md'), 'w') as handle:
        handle.write(text)
    with open(os.path.join(options.out, 'results.json'), 'w') as handle:
        json.dump(bench.info, handle, indent=1, default=str)
    sys.stdout.write(text)
    return 0 if all(ok for ok, dummy in checks(bench)) else 1


if __name__ == '__main__':
    sys.exit(main())
