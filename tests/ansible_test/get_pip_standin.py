"""Stand-in for the get-pip script that ansible-test downloads.

ansible-test fetches get-pip from a host these machines cannot reach. This
does the same job with what Python ships: ensurepip, then pip install of the
arguments ansible-test passes (less the get-pip-only flags).
"""
import subprocess
import sys

GET_PIP_ONLY = {'--no-setuptools', '--no-wheel'}

subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY])
