/** `check` command line, aggregation, exit code and output (src/check/args.ts, result.ts, render.ts). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseCheckArgs, DEFAULT_LISTEN_SECONDS, DEFAULT_PEER_SECONDS } from '../../../src/check/args';
import { renderHuman, renderItem, renderJson, renderSummary, type Report } from '../../../src/check/render';
import { countStatuses, exitCodeFor, item } from '../../../src/check/result';
import { parseArgs } from '../../../src/cli/args';
import { SstError } from '../../../src/errors';
import { VERSION } from '../../../src/version';

describe('parseCheckArgs', () => {
  test('node mode with the option-file options mariadbd would pass', () => {
    assert.deepEqual(
      parseCheckArgs([
        '--defaults-file',
        '/etc/my.cnf',
        '--defaults-group-suffix=.n2',
        '--datadir',
        '/srv/db',
        '--json',
      ]),
      {
        mode: 'node',
        defaultsFile: '/etc/my.cnf',
        defaultsExtraFile: undefined,
        defaultsGroupSuffix: '.n2',
        datadir: '/srv/db',
        json: true,
        peer: undefined,
        port: undefined,
        bind: undefined,
        timeoutSeconds: DEFAULT_LISTEN_SECONDS,
      },
    );
  });

  test('--listen with port, bind and timeout; --peer with its own default timeout', () => {
    const l = parseCheckArgs(['--listen', '--port', '4445', '--bind', '::1', '--timeout', '5']);
    assert.ok(l !== 'help');
    assert.equal(l.mode, 'listen');
    assert.equal(l.port, 4445);
    assert.equal(l.bind, '::1');
    assert.equal(l.timeoutSeconds, 5);
    const p = parseCheckArgs(['--peer', 'db2:4444']);
    assert.ok(p !== 'help');
    assert.equal(p.mode, 'peer');
    assert.equal(p.peer, 'db2:4444');
    assert.equal(p.timeoutSeconds, DEFAULT_PEER_SECONDS);
  });

  test('help', () => {
    assert.equal(parseCheckArgs(['--help']), 'help');
    assert.deepEqual(parseArgs(['check', '--help']), { kind: 'help' });
  });

  test('the top-level parser hands `check` over', () => {
    const c = parseArgs(['check', '--json']);
    assert.ok(c.kind === 'check', `kind ${c.kind}`);
    assert.equal(c.args.json, true);
  });

  const refused: [string[], RegExp][] = [
    [['--role', 'joiner'], /unknown arguments? '--role'/],
    [['extra'], /unknown argument 'extra'/],
    [['--listen', '--peer', 'x'], /cannot be combined/],
    [['--port', '4444'], /go with --listen/],
    [['--peer', 'x', '--bind', 'y'], /go with --listen/],
    [['--timeout', '5'], /goes with --listen or --peer/],
    [['--listen', '--port', '0'], /--port must be a whole number from 1 to 65535/],
    [['--listen', '--timeout', '1.5'], /--timeout must be a whole number/],
    [['--peer', ''], /--peer needs a value/],
  ];
  for (const [argv, message] of refused) {
    test(`refuses ${argv.join(' ')}`, () => {
      assert.throws(
        () => parseCheckArgs(argv),
        (e: unknown) => e instanceof SstError && e.code === 22 && message.test(e.message),
      );
    });
  }
});

describe('aggregation and exit code', () => {
  test('0 when nothing fails (WARN and SKIP included), 1 with any FAIL', () => {
    assert.equal(exitCodeFor([]), 0);
    assert.equal(exitCodeFor([item('a', 'a', 'PASS', ''), item('b', 'b', 'WARN', ''), item('c', 'c', 'SKIP', '')]), 0);
    assert.equal(exitCodeFor([item('a', 'a', 'PASS', ''), item('b', 'b', 'FAIL', '')]), 1);
  });
  test('counts every status', () => {
    assert.deepEqual(
      countStatuses([item('a', 'a', 'PASS', ''), item('b', 'b', 'PASS', ''), item('c', 'c', 'FAIL', '')]),
      { PASS: 2, WARN: 0, FAIL: 1, SKIP: 0 },
    );
  });
});

describe('rendering', () => {
  const report: Report = {
    mode: 'node',
    context: [['option files', '/etc/mysql/my.cnf']],
    items: [
      item('socat', 'socat', 'PASS', 'socat 1.7.4.4'),
      item('key-match', 'cert and key', 'FAIL', 'The certificate and private key\ndo not match.'),
    ],
  };

  test('aligned columns, one line per item even when a detail has line breaks', () => {
    const lines = renderHuman(report).split('\n');
    assert.equal(lines[0], `wsrep_sst_rsync_tunnel ${VERSION} check`);
    assert.equal(lines[1], '  option files: /etc/mysql/my.cnf');
    assert.equal(lines[2], `PASS  ${'socat'.padEnd(22)}  socat 1.7.4.4`);
    assert.equal(lines[3], `FAIL  ${'cert and key'.padEnd(22)}  The certificate and private key do not match.`);
    assert.equal(lines[4], '1 PASS, 0 WARN, 1 FAIL, 0 SKIP: an SST would fail: fix the FAIL lines');
    assert.equal(lines.length, 6);
    assert.equal(lines[2]?.indexOf('socat 1.7'), lines[3]?.indexOf('The certificate'));
  });

  test('a long label pushes its detail right instead of being cut', () => {
    assert.equal(
      renderItem(item('h', 'handshake from 127.0.0.1:60838', 'PASS', 'ok')),
      'PASS  handshake from 127.0.0.1:60838  ok\n',
    );
  });

  test('the summary says when nothing fails', () => {
    assert.equal(renderSummary([item('a', 'a', 'WARN', '')]), '0 PASS, 1 WARN, 0 FAIL, 0 SKIP: nothing fails\n');
  });

  test('JSON: one parseable object on one line', () => {
    const text = renderJson(report);
    assert.equal(text.split('\n').length, 2);
    const parsed = JSON.parse(text) as {
      mode: string;
      ok: boolean;
      counts: Record<string, number>;
      context: Record<string, string>;
      items: { id: string; status: string; detail: string }[];
    };
    assert.equal(parsed.mode, 'node');
    assert.equal(parsed.ok, false);
    assert.deepEqual(parsed.counts, { PASS: 1, WARN: 0, FAIL: 1, SKIP: 0 });
    assert.equal(parsed.context['option files'], '/etc/mysql/my.cnf');
    assert.deepEqual(
      parsed.items.map((i) => [i.id, i.status]),
      [
        ['socat', 'PASS'],
        ['key-match', 'FAIL'],
      ],
    );
  });
});
