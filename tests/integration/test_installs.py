"""A fresh clone installs the same, pinned set every time, and its runs are quiet."""
import os
import re
import subprocess

from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import BIN, ROOT, ansible_env, own_warnings


def _requirements(name, seen=None):
    """The requirements of one requirements file, following ``-r`` includes."""
    found = []
    with open(os.path.join(ROOT, name)) as handle:
        for line in handle:
            line = line.split('#', 1)[0].strip()
            if line.startswith('-r '):
                found += _requirements(line[3:].strip())
            elif line:
                found.append(Requirement(line))
    return found


def _pins():
    pins = {}
    with open(os.path.join(ROOT, 'constraints.txt')) as handle:
        for line in handle:
            line = line.split('#', 1)[0].strip()
            if line:
                name, version = line.split('==')
                pins[canonicalize_name(name)] = version
    return pins


def test_every_requirement_is_pinned_within_its_range():
    pins = _pins()
    for requirement in _requirements('requirements-test.txt'):
        pin = pins.get(canonicalize_name(requirement.name))
        assert pin, '%s is not pinned in constraints.txt (run scripts/pin.sh)' % requirement.name
        assert requirement.specifier.contains(pin, prereleases=True), (
            'constraints.txt pins %s==%s, outside %s in requirements (run scripts/pin.sh)' % (
                requirement.name, pin, requirement))


def test_the_venv_holds_exactly_the_pinned_versions():
    """What bootstrap installed came through constraints.txt, and nothing came unpinned."""
    pins = _pins()
    installed = dict((canonicalize_name(dist.metadata['Name']), dist.version) for dist in metadata.distributions())
    unpinned = sorted(set(installed) - set(pins))
    assert not unpinned, 'installed but not in constraints.txt: %s' % unpinned
    wrong = dict((name, (version, pins[name])) for name, version in installed.items() if pins[name] != version)
    assert not wrong, 'installed version differs from the pin (installed, pinned): %r' % wrong


def test_git_tracks_no_symlink():
    """ansible-test sanity refuses links to folders on a clone at ansible_collections/apetools/iperf."""
    listing = subprocess.run(['git', 'ls-files', '-s'], cwd=ROOT, check=True, stdout=subprocess.PIPE,
                             universal_newlines=True).stdout
    assert not [line for line in listing.splitlines() if line.startswith('120000 ')]


def test_the_local_default_session_prints_no_warning(tmp_path):
    """The README's first command: the embedded default inventory, as a user runs it."""
    process = subprocess.run([os.path.join(BIN, 'ansible-playbook'), 'apetools.iperf.session', '-e', 'iperf_time=1',
                              '-e', 'iperf_output_dir=%s' % tmp_path], cwd=ROOT, env=ansible_env(), check=False,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    print(process.stdout[-4000:])
    assert process.returncode == 0
    assert re.search(r'2 of 2 tests succeeded', process.stdout)
    assert '[WARNING]' not in process.stdout
    assert not own_warnings(process.stdout)
