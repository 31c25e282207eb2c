# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark of the collection against the API emulator: ``bash tests/bench/run.sh`` (``make bench``).

In one run it starts seeded emulators (4 sites, 10 sessions per user, ``--latency-ms`` added to every request),
runs a ``uri``-loop baseline playbook and the forced_logout role on the same kind of data, the role at several
sizes and concurrencies, and ws_session_info over 100,000 sessions, then prints a table with the wall time,
the HTTP requests by method (from the emulator's counters), the ratio to the baseline and peak memory, and
checks the targets. Results also go to ``--out`` (default tests/output/bench) as JSON and Markdown.

Figures come from here, never from timed tests. Each emulator is reset (data and counters) before each run.
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
        self.python = sys.executable
        self.playbook_bin = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
        self.runs = []
        self.info = {}
        self.emulators = {}

    def close(self):
        for emulator in self.emulators.values():
            emulator.stop()
        if not self.options.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    # --- running things -------------------------------------------------------------------------------

    def playbook(self, name, playbook, emulator, extra_vars, label):
        """Run one playbook against a freshly reset emulator; every measurement of that run."""
        tag = re.sub(r'[^A-Za-z0-9]+', '-', label).strip('-')
        timer_file = os.path.join(self.work, 'timer-%s.jsonl' % tag)
        rss_file = os.path.join(self.work, 'rss-%s.txt' % tag)
        vars_file = os.path.join(self.work, 'vars-%s.json' % tag)
        report_dir = os.path.join(self.work, 'evidence-%s' % tag)
        extra = dict(extra_vars, bench_url=emulator.url, bench_token=TOKEN, bench_report_dir=report_dir,
                     bench_python=os.path.join(HERE, 'python-rss.sh'))
        with open(vars_file, 'w') as handle:
            json.dump(extra, handle)
        sessions_before = emulator.reset()
        env = clean_env({
            'ANSIBLE_COLLECTIONS_PATH': self.collections_path,
            'ANSIBLE_CALLBACK_PLUGINS': os.path.join(HERE, 'callback_plugins'),
            'ANSIBLE_LOCALHOST_WARNING': 'False',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'False',
            'ANSIBLE_NOCOLOR': '1',
            'BENCH_TIMER_FILE': timer_file,
            'BENCH_RSS_FILE': rss_file,
            'BENCH_PYTHON': self.python,
        })
        cpu_before = emulator.cpu_seconds()
        with open(os.path.join(self.work, 'playbook-%s.log' % tag), 'w') as output:
            started = time.monotonic()
            proc = subprocess.Popen([self.playbook_bin, os.path.join(HERE, playbook), '-e', '@' + vars_file],
                                    stdout=output, stderr=subprocess.STDOUT, env=env, cwd=self.work)
            code, usage = wait_child(proc, PLAYBOOK_TIMEOUT)
            wall = time.monotonic() - started
        counters = emulator.counters()
        cpu_after = emulator.cpu_seconds()
        tasks = []
        if os.path.exists(timer_file):
            with open(timer_file) as handle:
                tasks = [json.loads(line) for line in handle if line.strip()]
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
            'counters': counters, 'sessions_before': sessions_before,
            'emulator_cpu': (cpu_after - cpu_before) if cpu_before is not None and cpu_after is not None else None,
            'tasks': tasks, 'modules': modules, 'report_dir': report_dir,
        }
        if code != 0:
            log('%s FAILED (rc %s), log: %s' % (label, code, os.path.join(self.work, 'playbook-%s.log' % tag)))
            self.options.keep = True
        return run

    def record(self, run):
        counters = run['counters']
        log('%-28s %6.2f s  GET %d POST %d DELETE %d' % (
            run['label'], run['wall'], counters.get('GET', 0), counters.get('POST', 0), counters.get('DELETE', 0)))
        self.runs.append(run)

    def role_run(self, emulator, concurrency=None, label=None):
        users = emulator.users
        extra = {'forced_logout_users': users_of(users)}
        if concurrency is not None:
            extra['forced_logout_concurrency'] = concurrency
        run = self.playbook('role', 'forced_logout.yml', emulator, extra,
                            label or 'role %d users c=%s' % (users, concurrency or 'default'))
        run.update(users=users, sessions=users * SESSIONS_PER_USER, concurrency=concurrency or 16)
        run['close_task'] = sum(t['seconds'] for t in run['tasks'] if t['task'].endswith('in one bulk call'))
        run['record_task'] = sum(t['seconds'] for t in run['tasks'] if 'Assemble the result' in t['task'])
        run['module_rss_kib'] = max([m['rss_kib'] for m in run['modules'] if m['module'] == 'ws_session'] or [0]) or None
        evidence = os.path.join(run['report_dir'], 'BENCH.json')
        if run['rc'] == 0:
            with open(evidence) as handle:
                data = json.load(handle)
            run['evidence_closed'] = data['counts']['closed']
            run['evidence_ok'] = (data['counts']['closed'] == run['sessions'] and data['failure'] is None
                                  and os.path.exists(os.path.join(run['report_dir'], 'BENCH.md')))
        shutil.rmtree(run['report_dir'], ignore_errors=True)
        self.record(run)
        return run

    def baseline_run(self, emulator):
        run = self.playbook('baseline', 'baseline_uri.yml', emulator, {'forced_logout_users': users_of(emulator.users)},
                            'baseline uri loop %d users' % emulator.users)
        run.update(users=emulator.users, sessions=emulator.users * SESSIONS_PER_USER, concurrency=1)
        run['module_rss_kib'] = max([m['rss_kib'] for m in run['modules'] if m['module'] == 'uri'] or [0]) or None
        self.record(run)
        return run

    def info_module(self, emulator, repeat):
        """ws_session_info run by hand (python -m ...): wall time and peak RSS of that process alone."""
        args_file = os.path.join(self.work, 'info-args.json')
        with open(args_file, 'w') as handle:
            json.dump({'ANSIBLE_MODULE_ARGS': {'url': emulator.url, 'token': TOKEN, 'sites': 'all'}}, handle)
        env = clean_env({'PYTHONPATH': self.collections_path})
        results = []
        for dummy in range(repeat):
            emulator.reset()
            out_file = os.path.join(self.work, 'info-out.json')
            with open(out_file, 'w') as output:
                started = time.monotonic()
                proc = subprocess.Popen(
                    [self.python, '-m', 'ansible_collections.incoplax.platform.plugins.modules.ws_session_info', args_file],
                    stdout=output, stderr=subprocess.STDOUT, env=env, cwd=self.work)
                code, usage = wait_child(proc, PLAYBOOK_TIMEOUT)
                wall = time.monotonic() - started
            with open(out_file) as handle:
                result = json.load(handle)
            results.append({'rc': code, 'wall': wall, 'rss_kib': usage.ru_maxrss, 'cpu': usage.ru_utime + usage.ru_stime,
                            'entries': result['summary']['total'], 'sessions': result['summary']['unique_session_ids'],
                            'bytes': os.path.getsize(out_file), 'counters': emulator.counters()})
            os.unlink(out_file)
        return results

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
        version = subprocess.run([self.playbook_bin, '--version'], capture_output=True, text=True, env=clean_env(),
                                 check=False).stdout
        core = re.search(r'core ([^\]]+)\]', version)
        return {'nproc': os.cpu_count(), 'cpu': cpu, 'python': platform.python_version(),
                'ansible_core': core.group(1) if core else 'unknown', 'kernel': platform.release(),
                'load_at_start': os.getloadavg()}

    def run(self):
        options = self.options
        self.info['machine'] = self.machine()
        log('machine: %(nproc)s CPUs, %(cpu)s, Python %(python)s, ansible-core %(ansible_core)s, load %(load_at_start)s'
            % self.info['machine'])
        sizes = {'baseline': options.baseline_users, 'small': 100, 'main': options.users, 'large': 5000}
        if options.info_users:
            sizes['info'] = options.info_users
        for name, users in sizes.items():
            self.emulators[name] = Emulator(name, users, options.latency_ms, self.work)
        for emulator in self.emulators.values():
            emulator.wait_ready()
        log('emulators ready: %s' % ', '.join('%s=%d users' % (n, e.users) for n, e in self.emulators.items()))

        self.info['baseline'] = self.baseline_run(self.emulators['baseline'])
        main_runs = [self.role_run(self.emulators['main'], label='role %d users #%d' % (options.users, index + 1))
                     for index in range(options.repeat)]
        self.info['main'] = main_runs
        self.info['scaling'] = [self.role_run(self.emulators['small']), self.role_run(self.emulators['large'])]
        if not options.skip_sweep:
            self.info['sweep'] = [self.role_run(self.emulators['main'], concurrency=c, label='role %d users c=%d' % (options.users, c))
                                  for c in (1, 4, 8, 16, 32)]
        if 'info' in self.emulators:
            log('ws_session_info over %d users x %d sessions' % (options.info_users, SESSIONS_PER_USER))
            self.info['info_module'] = self.info_module(self.emulators['info'], options.repeat)
            info_run = self.playbook('info', 'session_info.yml', self.emulators['info'], {}, 'ws_session_info playbook')
            info_run['task'] = sum(t['seconds'] for t in info_run['tasks'] if t['task'] == 'List every session on every site')
            info_run['module_rss_kib'] = max([m['rss_kib'] for m in info_run['modules']] or [0]) or None
            self.info['info_playbook'] = info_run
        self.info['machine']['load_at_end'] = os.getloadavg()


# --- report ---------------------------------------------------------------------------------------------

def median_run(runs):
    ordered = sorted(runs, key=lambda run: run['wall'])
    return ordered[len(ordered) // 2]


def mib(kib):
    return '%.0f' % (kib / 1024.0) if kib else 'n/a'


def per_session_ms(run):
    return 1000.0 * run['wall'] / run['sessions']


def emulator_rate(counters):
    busy = counters.get('busy_seconds') or 0
    return counters.get('total', 0) / busy if busy else float('nan')


def row(run, baseline):
    counters = run['counters']
    ratio = per_session_ms(baseline) / per_session_ms(run) if run is not baseline else 1.0
    return ('| %s | %d | %d | %s | %.2f | %.3f | %d | %d | %d | %s | %s | %s | %.1f | %d | %.0f | %s |' % (
        run['label'], run['users'], run['sessions'], run.get('concurrency', '-'), run['wall'], per_session_ms(run),
        counters.get('GET', 0), counters.get('POST', 0), counters.get('DELETE', 0),
        '%.0fx' % ratio if run is not baseline else '1x (baseline)',
        '%.2f' % run['close_task'] if 'close_task' in run else '-',
        mib(run.get('module_rss_kib')), run['cpu'], counters.get('max_in_flight', 0), emulator_rate(counters),
        '%.2f' % run['emulator_cpu'] if run.get('emulator_cpu') is not None else 'n/a'))


HEADER = ('| run | users | sessions | concurrency | wall s | ms per session | GET | POST | DELETE | vs baseline (per session) '
          '| close task s | module peak RSS MiB | playbook CPU s | emulator max_in_flight | emulator req/busy_s '
          '| emulator CPU s |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')


def report(bench):
    info = bench.info
    machine = info['machine']
    baseline = info['baseline']
    main = median_run(info['main'])
    lines = ['## Machine', '',
             '- %s CPUs (nproc), %s; kernel %s' % (machine['nproc'], machine['cpu'], machine['kernel']),
             '- Python %s, ansible-core %s' % (machine['python'], machine['ansible_core']),
             '- load average (1, 5, 15 min) at start %s, at end %s' % (
                 ', '.join('%.2f' % x for x in machine['load_at_start']),
                 ', '.join('%.2f' % x for x in machine['load_at_end'])),
             '- emulator: %s sites, %d sessions per user (every third also a websocket entry), %s ms added latency '
             'per request' % (len(SITES.split(',')), SESSIONS_PER_USER, bench.options.latency_ms),
             '', '## Runs (whole ansible-playbook wall time, start-up included; evidence written)', '', HEADER]
    runs = [baseline] + info['main'] + info['scaling'] + info.get('sweep', [])
    lines += [row(run, baseline) for run in runs]
    lines += ['', 'Baseline: ansible.builtin.uri lists the sessions, then one uri DELETE per session of the %d users '
              '(%d sessions), a loop; compared per session with the role, since the same loop over %d sessions would '
              'take about %.0f s.' % (baseline['users'], baseline['sessions'], main['sessions'],
                                      per_session_ms(baseline) * main['sessions'] / 1000.0)]
    if 'info_module' in info:
        module_runs = info['info_module']
        best = sorted(module_runs, key=lambda r: r['wall'])[len(module_runs) // 2]
        playbook_run = info['info_playbook']
        lines += ['', '## ws_session_info over %d sessions (%d entries, %.0f MB of JSON result)' % (
            best['sessions'], best['entries'], best['bytes'] / 1e6), '',
            '| what | wall s | peak RSS MiB | CPU s |', '|---|---|---|---|']
        for index, result in enumerate(module_runs):
            lines.append('| module process by hand, run %d | %.2f | %s | %.2f |' % (
                index + 1, result['wall'], mib(result['rss_kib']), result['cpu']))
        lines.append('| ansible-playbook: the ws_session_info task | %.2f | %s (module) | - |' % (
            playbook_run['task'], mib(playbook_run.get('module_rss_kib'))))
        lines.append('| ansible-playbook: whole run | %.2f | %s (process tree) | %.2f |' % (
            playbook_run['wall'], mib(playbook_run['tree_rss_kib']), playbook_run['cpu']))
    lines += ['', '## Per task, %s (median run)' % main['label'], '', '| task | s |', '|---|---|']
    for task in main['tasks']:
        name = task['task'].split(' : ', 1)[-1]
        if task['seconds'] >= 0.05 or task['task'].startswith('('):
            lines.append('| %s | %.2f |' % (name[:90], task['seconds']))
    lines += ['', '## Checks', '']
    lines += ['- %s %s' % ('PASS' if ok else 'FAIL', text) for ok, text in checks(bench)]
    return '\n'.join(lines) + '\n'


def linear(runs, middle, key, what):
    """Whether the line through the smallest and the largest run predicts ``middle`` within 25 % (+ 0.5 s)."""
    small, large = runs[0], runs[-1]
    slope = (large[key] - small[key]) / (large['sessions'] - small['sessions'])
    predicted = small[key] + slope * (middle['sessions'] - small['sessions'])
    return (abs(predicted - middle[key]) <= 0.25 * middle[key] + 0.5,
            'linear in sessions, %s: %s s at %s users; the line through %d and %d users (%.3f ms per extra session) '
            'predicts %.2f s at %d users, measured %.2f s' % (
                what, ', '.join('%.2f' % run[key] for run in runs), ', '.join(str(run['users']) for run in runs),
                small['users'], large['users'], slope * 1000.0, predicted, middle['users'], middle[key]))


def checks(bench):
    info = bench.info
    main = median_run(info['main'])
    baseline = info['baseline']
    found = []
    found.append((all(run['rc'] == 0 for run in bench.runs), 'every playbook run succeeded'))
    found.append((all(run.get('evidence_ok') for run in bench.runs if run['name'] == 'role'),
                  'every role run closed every session of the targets and wrote both evidence files'))
    found.append((main['wall'] <= 10.0, '%d users (%d sessions): %.2f s, target at most 10 s (aim 6 s)' % (
        main['users'], main['sessions'], main['wall'])))
    for run in [r for r in bench.runs if r['name'] == 'role']:
        counters = run['counters']
        if not (counters.get('POST') == run['users'] and counters.get('DELETE') == 0
                and counters.get('total', 0) <= run['users'] + 10):
            found.append((False, '%s: %s requests, expected one POST per user, no DELETE, at most users + 10'
                          % (run['label'], counters)))
    found.append((True, 'HTTP requests of each role run: one POST per user, no DELETE, %d GETs at %d users' % (
        main['counters'].get('GET', 0), main['users'])))
    ratio = per_session_ms(baseline) / per_session_ms(main)
    found.append((ratio >= 50, 'per session %.0fx faster than the uri loop (%.1f ms vs %.3f ms), target at least 50x' % (
        ratio, per_session_ms(baseline), per_session_ms(main))))
    scaling = sorted(info['scaling'] + [main], key=lambda run: run['users'])
    found.append(linear(scaling, main, 'cpu', 'the collection\'s CPU time (ansible-playbook and its processes)'))
    found.append((True, 'wall time %s s and emulator CPU %s s at %s users (the emulator logs a user out by scanning every '
                  'entry, so its own cost grows with users x sessions)' % (
                      ', '.join('%.2f' % run['wall'] for run in scaling),
                      ', '.join('%.2f' % (run.get('emulator_cpu') or 0) for run in scaling),
                      ', '.join(str(run['users']) for run in scaling))))
    if 'sweep' in info:
        top = max(run['counters'].get('max_in_flight', 0) for run in info['sweep'])
        found.append((top >= 32, 'the emulator served %d requests at once (max_in_flight), target at least 32' % top))
        found.append((True, 'concurrency sweep: %s' % ', '.join(
            'c=%d %.2f s (close task %.2f s)' % (run['concurrency'], run['wall'], run['close_task']) for run in info['sweep'])))
    rates = [emulator_rate(run['counters']) for run in [main]]
    cpu = main.get('emulator_cpu')
    found.append((True, 'emulator at %d users: %.0f requests per busy second (counters), %s CPU s for %d requests '
                  '(%s per CPU second) during a %.2f s run' % (
                      main['users'], rates[0], '%.2f' % cpu if cpu is not None else 'n/a', main['counters'].get('total', 0),
                      '%.0f' % (main['counters'].get('total', 0) / cpu) if cpu else 'n/a', main['wall'])))
    if 'info_module' in info:
        best = sorted(info['info_module'], key=lambda r: r['wall'])[len(info['info_module']) // 2]
        found.append((best['wall'] <= 3.0 and best['sessions'] >= 100000,
                      'ws_session_info over %d sessions: module %.2f s (median), peak RSS up to %s MiB, target at most 3 s'
                      % (best['sessions'], best['wall'], mib(max(r['rss_kib'] for r in info['info_module'])))))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--users', type=int, default=1000, help='users of the main scenario (default 1000)')
    parser.add_argument('--baseline-users', type=int, default=5, help='users of the uri-loop baseline (default 5)')
    parser.add_argument('--info-users', type=int, default=10000,
                        help='users (x10 sessions) for ws_session_info, 0 to skip (default 10000)')
    parser.add_argument('--latency-ms', type=float, default=20, help='latency added by the emulator (default 20)')
    parser.add_argument('--repeat', type=int, default=3, help='runs of the main scenario, median reported (default 3)')
    parser.add_argument('--skip-sweep', action='store_true', help='no concurrency sweep')
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
