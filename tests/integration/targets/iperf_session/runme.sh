#!/usr/bin/env bash
# apetools.iperf.iperf_session's single-test mode needs both sides at once, on
# two inventory hosts: ansible-test's inventory has one, so this target brings
# its own (two local hosts, over loopback).
set -eux
ansible-playbook -i inventory.yml test.yml "$@"
