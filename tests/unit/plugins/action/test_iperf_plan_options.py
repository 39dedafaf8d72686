"""The plan reads the play's variables and names the variable when a value is wrong (controller code, so
not with the host code's tests under module_utils)."""
from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.apetools.iperf.plugins.action.iperf_plan import ActionModule
from ansible_collections.apetools.iperf.plugins.module_utils.iperf_session import IperfConfigurationError


def test_the_plan_names_the_variable():
    variables = {'iperf_version': 3, 'iperf_extra_args': ['--logf=/x']}
    with pytest.raises(IperfConfigurationError) as caught:
        ActionModule._options(lambda name, default=None: variables.get(name, default))
    assert str(caught.value).startswith("iperf_extra_args item '--logf=/x' is --logfile, which is refused: it reads "
                                        "or writes files on the host; allowed with iperf3: -A/--affinity, ")
    variables['iperf_version'] = 2
    assert 'allowed with iperf2: --burst-period' in str(pytest.raises(
        IperfConfigurationError, ActionModule._options, lambda name, default=None: variables.get(name, default)).value)


def test_the_play_variable_reaches_the_options_and_is_named_when_wrong():
    def play(value):
        return lambda name, default=None: value if name == 'iperf_max_output_bytes' else default
    assert ActionModule._options(play(1 << 20))['max_output_bytes'] == 1 << 20
    with pytest.raises(Exception, match=r"^iperf_max_output_bytes 'lots' must be a whole number"):
        ActionModule._options(play('lots'))
