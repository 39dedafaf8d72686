"""Make ``ansible_collections.apetools.iperf`` importable under plain pytest.

ansible-test units installs its own collection loader; this only steps in
when the package cannot be imported yet.
"""
import importlib.util
import os
import sys

if importlib.util.find_spec('ansible_collections') is None or \
        importlib.util.find_spec('ansible_collections.apetools') is None:
    ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.join(ROOT, '.collections'))
