#!/usr/bin/env python3
"""Proves that the build enforces the layering of src/ (STYLE.md rule 1).

Run by meson (tests/layering/meson.build) with the graph from src/meson.build: for each folder,
the folders it uses, the ones its headers export, and the view (the include paths) its library
should compile with. Two checks, both in the unit suite:

1. Compile flags. For every library src/F, the compiler command that meson wrote into
   compile_commands.json preprocesses a tiny file that includes one header of every src/ folder.
   A folder in F's view must preprocess; any other must fail with "No such file or directory" for
   that very header. So a wrong include fails to compile, and the check can fail both ways.
2. Direct includes. The include paths let F see what its dependencies' headers need (api sees
   net/ because engine's headers include it), so every #include in src/F is also checked against
   the folders F uses (headers: against what F exports). No include may climb out with "../".

Reads the tree and the build directory; writes only a temporary probe file. Exit status 0 when
every check passes, 1 with one line per violation otherwise.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCE_SUFFIXES = ('.h', '.cc', '.cpp')


def parse_graph(pairs):
    """['engine=net,util', 'util='] -> {'engine': ['net', 'util'], 'util': []}"""
    graph = {}
    for pair in pairs:
        folder, _, rest = pair.partition('=')
        graph[folder] = [x for x in rest.split(',') if x]
    return graph


def check_direct_includes(src, folders, uses, exports):
    errors = []
    for folder in folders:
        root = os.path.join(src, folder)
        for dirpath, _, names in os.walk(root):
            for name in sorted(names):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, os.path.dirname(src))
                is_header = name.endswith('.h')
                allowed = {folder, 'util'} | set(exports[folder] if is_header else uses[folder])
                with open(path, encoding='utf-8') as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE_RE.match(line)
                        if not m:
                            continue
                        quote, target = m.groups()
                        close = '>' if quote == '<' else '"'
                        where = f'{rel}:{lineno}: #include {quote}{target}{close}'
                        if target.startswith('../') or '/../' in target:
                            errors.append(f'{where}: includes must not climb out with "../"')
                            continue
                        top = target.split('/', 1)[0]
                        if top not in folders or '/' not in target:
                            continue  # system header or a file next to this one
                        if top not in allowed:
                            kind = 'headers may include (layer_exports)' if is_header else \
                                'may use (layer_uses)'
                            errors.append(f"{where}: src/{folder} {kind} only "
                                          f"{', '.join(sorted(allowed))}")
    return errors


def probe_command(entry):
    """The library's compile command, minus its input, output and dependency-file arguments."""
    args = shlex.split(entry['command']) if 'command' in entry else list(entry['arguments'])
    if os.path.basename(args[0]) == 'ccache':
        args = args[1:]
    out = []
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
            continue
        if arg in ('-o', '-c', '-MQ', '-MF', '-MT'):
            skip_next = True
            continue
        if arg in ('-MD', '-MMD') or arg.startswith('-fdiagnostics-color'):
            continue
        out.append(arg)
    return out + ['-fdiagnostics-color=never', '-E', '-o', os.devnull]


def first_header(src, folder):
    names = sorted(n for n in os.listdir(os.path.join(src, folder)) if n.endswith('.h'))
    return f'{folder}/{names[0]}' if names else None


def check_compile_flags(src, build, folders, views):
    with open(os.path.join(build, 'compile_commands.json'), encoding='utf-8') as f:
        entries = json.load(f)
    commands = {}
    for entry in entries:
        m = re.match(r'src/([a-z_]+)/librc_\1\.a\.p/', entry['output'])
        if m and m.group(1) not in commands:
            commands[m.group(1)] = entry
    errors = [f'src/{f}: no library librc_{f} in compile_commands.json'
              for f in folders if f not in commands]
    headers = {f: first_header(src, f) for f in folders}
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(lib, folder) for lib in folders if lib in commands
                for folder in folders if headers[folder] is not None]

        def probe(job):
            lib, folder = job
            path = os.path.join(tmp, f'{lib}_sees_{folder}.cc')
            with open(path, 'w', encoding='utf-8') as f:
                f.write(f'#include "{headers[folder]}"\n')
            return subprocess.run(probe_command(commands[lib]) + [path],
                                  cwd=commands[lib]['directory'], capture_output=True, text=True,
                                  check=False)

        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            runs = list(pool.map(probe, jobs))
    for (lib, folder), run in zip(jobs, runs):
        header = headers[folder]
        expected = folder in views[lib]
        if expected and run.returncode != 0:
            first = run.stderr.strip().splitlines()[:3]
            errors.append(f'src/{lib} should see {header} but its flags fail: ' + ' | '.join(first))
        elif not expected and run.returncode == 0:
            errors.append(f'src/{lib} must not see {folder}/, but #include "{header}" compiles '
                          'with its flags')
        elif not expected and f'{header}: No such file or directory' not in run.stderr:
            first = run.stderr.strip().splitlines()[:3]
            errors.append(f'src/{lib} including {header} failed for another reason than a '
                          'missing include path: ' + ' | '.join(first))
    return errors, len(jobs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--source-root', required=True)
    parser.add_argument('--build-root', required=True)
    parser.add_argument('--folders', required=True, help='comma-separated, users last')
    parser.add_argument('--uses', action='append', default=[], metavar='F=A,B')
    parser.add_argument('--exports', action='append', default=[], metavar='F=A,B')
    parser.add_argument('--view', action='append', default=[], metavar='F=A,B')
    args = parser.parse_args()

    src = os.path.join(args.source_root, 'src')
    folders = args.folders.split(',')
    uses, exports, views = parse_graph(args.uses), parse_graph(args.exports), parse_graph(args.view)

    errors = check_direct_includes(src, folders, uses, exports)
    flag_errors, probes = check_compile_flags(src, args.build_root, folders, views)
    errors += flag_errors
    for line in errors:
        print(line)
    if errors:
        print(f'{len(errors)} layering violations. If the graph changed on purpose, edit '
              'layer_uses/layer_exports in src/meson.build and the table in '
              'docs/architecture.md.')
        return 1
    print(f'layering ok: {len(folders)} folders, {probes} include probes')
    return 0


if __name__ == '__main__':
    sys.exit(main())
