# -*- coding: utf-8 -*-
# Copyright: (c) 2026, apetools.iperf contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One folder per run, and a ``latest`` link to the newest, so a rerun never overwrites."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time

LATEST = 'latest'


def create_run_dir(output_dir, now=None, create=True):
    """Create ``<output_dir>/<timestamp>[-N]`` and point ``latest`` at it; without ``create``, only name it."""
    output_dir = os.path.abspath(os.path.expanduser(str(output_dir)))
    stamp = time.strftime('%Y%m%dT%H%M%S', time.localtime(now))
    if not create:
        return os.path.join(output_dir, stamp)
    os.makedirs(output_dir, exist_ok=True)
    counter = 0
    while True:
        name = stamp if counter == 0 else '%s-%d' % (stamp, counter)
        path = os.path.join(output_dir, name)
        try:
            # mkdir is atomic: two runs started in the same second get two folders.
            os.mkdir(path)
            break
        except FileExistsError:
            counter += 1
    point_latest(output_dir, name)
    return path


def point_latest(output_dir, name):
    link = os.path.join(output_dir, LATEST)
    if os.path.lexists(link) and not os.path.islink(link):
        return  # Never replace a user's own file or folder named 'latest'.
    temporary = '%s.%d' % (link, os.getpid())
    os.symlink(name, temporary)
    os.replace(temporary, link)
