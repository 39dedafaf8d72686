"""What iperf_facts and iperf_lock return reaches the terminal without a host's control characters."""
from ansible_collections.apetools.iperf.plugins.plugin_utils._host_module_action import RAW_CONTROLS, scrub


def test_every_string_of_a_result_is_scrubbed():
    result = dict(msg='busy \x1b[31mred\x1b]0;title\x07', warnings=['W\x1b[2J'],
                  deprecations=[dict(msg='D\x9b1m', version='2.0')], lease=dict(holder=dict(run='r\x00un')),
                  busy_ports=[5201], changed=False)
    clean = scrub(result)
    assert clean['msg'] == 'busy [31mred]0;title'
    assert clean['warnings'] == ['W[2J']
    assert clean['deprecations'] == [dict(msg='D1m', version='2.0')]
    assert clean['lease']['holder']['run'] == 'run'
    assert clean['busy_ports'] == [5201] and clean['changed'] is False


def test_raw_controls_around_the_json_go_and_line_breaks_stay():
    assert RAW_CONTROLS.sub('', 'junk\x1b[31m\n{"a": 1}\n') == 'junk[31m\n{"a": 1}\n'
