#!/usr/bin/env python3
"""`meson install` puts the binary, an example config and a systemd unit in the usual places.

Run by meson (tests/install/meson.build): installs the build into a temporary DESTDIR
(`meson install --destdir`, no rebuild), then checks that
- <prefix>/bin/ringcast is executable and serves with the installed example config;
- <sysconfdir>/ringcast/ringcast.json.example is there (never a real ringcast.json);
- <unitdir>/ringcast.service runs that binary with that config directory, sets LimitNOFILE and
  the hardening options, and has no placeholder left.
Exit status 0 when all hold, 1 with one line per failure otherwise.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--meson', required=True)
    ap.add_argument('--build-root', required=True)
    ap.add_argument('--prefix', required=True)
    ap.add_argument('--bindir', required=True)
    ap.add_argument('--sysconfdir', required=True)
    ap.add_argument('--unitdir', required=True)
    a = ap.parse_args()
    errors = []
    with tempfile.TemporaryDirectory(prefix='ringcast-install-') as dest:
        r = subprocess.run([a.meson, 'install', '-C', a.build_root, '--destdir', dest,
                            '--no-rebuild', '--quiet'], capture_output=True, text=True)
        if r.returncode != 0:
            print(f'meson install failed: {r.stdout}{r.stderr}')
            return 1
        root = lambda p: os.path.join(dest, p.lstrip('/'))
        sysconf = a.sysconfdir
        if not sysconf.startswith('/'):
            sysconf = os.path.join(a.prefix, sysconf)
        binary = os.path.join(a.prefix, a.bindir, 'ringcast')
        example = os.path.join(sysconf, 'ringcast', 'ringcast.json.example')
        unit = os.path.join(a.unitdir, 'ringcast.service')
        for path in (binary, example, unit):
            if not os.path.isfile(root(path)):
                errors.append(f'not installed: {path}')
        if os.path.exists(root(os.path.join(sysconf, 'ringcast', 'ringcast.json'))):
            errors.append('a real ringcast.json was installed (only the example may be)')
        if errors:
            print('\n'.join(errors))
            return 1
        if not os.access(root(binary), os.X_OK):
            errors.append(f'{binary} is not executable')

        text = open(root(unit), encoding='utf-8').read()
        if '@' in text.replace('@system-service', ''):
            errors.append('unit has an unreplaced @PLACEHOLDER@')
        want = [
            f'ExecStart={binary} --config {os.path.join(sysconf, "ringcast", "ringcast.json")} ',
            'LimitNOFILE=', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes',
            'PrivateTmp=yes', 'DynamicUser=yes', 'StateDirectory=ringcast',
            'CapabilityBoundingSet=', 'RestrictAddressFamilies=', 'KillSignal=SIGTERM',
            'WantedBy=multi-user.target',
        ]
        for w in want:
            if w not in text:
                errors.append(f'unit lacks "{w}"')

        # The installed binary serves with the installed example (flags override its port,
        # address and data directory so the test can run anywhere).
        data = os.path.join(dest, 'data')
        # Under ASan (build-asan) leak reports at exit are not what this test checks.
        env = dict(os.environ, ASAN_OPTIONS='detect_leaks=0')
        proc = subprocess.Popen([root(binary), '--config', root(example), '--host', '127.0.0.1',
                                 '--port', '0', '--metrics-port', '0', '--shards', '1',
                                 '--data-dir', data],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
        try:
            line = ''
            deadline = time.time() + 10
            while time.time() < deadline and 'listening on' not in line:
                line = proc.stdout.readline()
                if not line and proc.poll() is not None:
                    break
            if 'listening on' not in line:
                errors.append(f'installed binary did not start with the example config: '
                              f'{proc.stderr.read() if proc.poll() is not None else "timeout"}')
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = -1
        if code != 0 and not errors:
            errors.append(f'installed binary exited {code} on SIGTERM')
    if errors:
        print('\n'.join(errors))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
