"""report.html of a real local run, rendered by a real browser (headless Chromium).

Runs the session playbook on this machine (the default inventory: loopback,
iperf3), then has Chromium take a screenshot of the report and dump its DOM.
Needs the Debian package ``chromium``; skipped without it.
"""
import json
import os
import shutil
import struct
import subprocess
import tempfile
import zlib

import pytest

from conftest import ROOT, run_playbook


SESSION = 'apetools.iperf.session'
INVENTORY = os.path.join(ROOT, 'inventories', 'local', 'hosts.yml')
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
WIDTH, HEIGHT = 1280, 2000
HEADER = (0x1f, 0x2d, 0x3d)  # the report's header background
PALETTE = ((0x00, 0x72, 0xB2), (0xE6, 0x9F, 0x00))  # rep 1 and rep 2

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason='chromium is not installed (Debian package: chromium)')


def chromium(*args):
    """Run headless Chromium with a fresh profile; returns its stdout."""
    profile = tempfile.mkdtemp(prefix='apetools-chromium-')
    try:
        process = subprocess.run(
            [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             '--hide-scrollbars', '--user-data-dir=%s' % profile] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=180, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert process.returncode == 0, process.stderr[-3000:]
    return process.stdout


def png_pixels(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA PNG, with the standard library only."""
    with open(path, 'rb') as handle:
        data = handle.read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    offset, idat, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack('>I4s', data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat.append(body)
        offset += 12 + length
    width, height, depth, colour, interlace = header[:4] + header[6:]
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b''.join(idat))
    stride = width * channels
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xff
        elif kind == 2:
            line = bytearray((a + b) & 0xff for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xff
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 0xff
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels)])
        previous = line
    return width, height, rows


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    """A real run (1 s tests, 2 repetitions) and its report.html."""
    output_dir = str(tmp_path_factory.mktemp('report-run'))
    run = run_playbook(SESSION, INVENTORY, output_dir, '-e', 'iperf_time=1', '-e', 'iperf_repetitions=2')
    assert run.rc == 0, run.output
    records = run.summary()
    path = os.path.join(run.run_dir, 'report.html')
    assert os.path.exists(path), 'the session wrote no report.html'
    return path, records


def test_the_report_renders_in_chromium(report, tmp_path):
    path, records = report
    screenshot = str(tmp_path / 'report.png')
    chromium('--screenshot=%s' % screenshot, '--window-size=%d,%d' % (WIDTH, HEIGHT), 'file://%s' % path)
    assert os.path.getsize(screenshot) > 20 * 1024
    width, height, rows = png_pixels(screenshot)
    assert (width, height) == (WIDTH, HEIGHT)
    colours = set()
    for row in rows[::10]:
        colours.update(row[::5])
    assert len(colours) > 50, 'the screenshot is (nearly) one colour: %r' % sorted(colours)[:10]
    assert HEADER in set(rows[20]), 'the header is not at the top of the page'
    seen = set(pixel for row in rows[:1200] for pixel in row)
    for colour in PALETTE:  # the dots and lines of both repetitions are drawn
        assert colour in seen, 'no pixel of colour %r: plots not drawn?' % (colour,)


def test_the_dom_has_every_test(report):
    path, records = report
    dom = chromium('--dump-dom', 'file://%s' % path)
    assert len(records) == 4  # one node, two directions, two repetitions
    for record in records:
        assert record['succeeded'], record
        assert 'id="test-%d"' % record['index'] in dom
        for name in record['files']:
            assert 'href="%s"' % name in dom
    for section in ('throughput', 'statistics', 'over-time', 'tests'):
        assert 'id="%s"' % section in dom
    charts, lines = dom.count('<figure'), dom.count('<polyline')
    assert (charts, lines) == (2, 4), 'a chart per direction, a line per repetition'
    assert 'Gbit/s' in dom or 'Mbit/s' in dom
    with open(os.path.join(os.path.dirname(path), 'summary.json')) as handle:
        assert [r['index'] for r in json.load(handle)] == [r['index'] for r in records]
