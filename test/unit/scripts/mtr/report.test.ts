/** `make test-mtr`: reading mariadb-test-run's console output into one line per twin. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { completeResults, formatResult, parseMtrOutput, summary } from '../../../../scripts/mtr/report';

const S = 'galera_rsync_tunnel';
const OUTPUT = [
  'worker[01] Using MTR_BUILD_THREAD 300, with reserved ports 19000..19029',
  `/tmp/sstmtrA/suite/${S}.galera_sst_rsync 'release' w1 [ pass ]  47162`,
  `/tmp/sstmtrA/suite/${S}.galera_ist_rsync_verify_ca w2 [ fail ]`,
  '        Test ended at 2026-12-06 10:00:00',
  '',
  'CURRENT_TEST: galera_rsync_tunnel.galera_ist_rsync_verify_ca',
  'mysqltest: At line 56: assert_grep.inc failed!',
  '',
  " - saving '/tmp/x/log/galera_ist_rsync_verify_ca/' to '/tmp/x/log/galera_ist_rsync_verify_ca/'",
  `/tmp/sstmtrA/suite/${S}.galera_sst_rsync_encrypt_with_key w1 [ skipped ]  Test requires: 'debug'`,
  `/tmp/sstmtrA/suite/${S}.galera_threadpool w2 [ fail ]  Found warnings/errors in server log file!`,
  '        Test ended at 2026-12-06 10:01:00',
  'line',
  '2026-12-06 10:00:59 0 [ERROR] WSREP: something',
  '^ Found warnings in /tmp/x/log/mysqld.1.err',
  '--------------------------------------------------------------------------',
  'The servers were restarted 0 times',
].join('\n');

describe('parseMtrOutput', () => {
  const results = parseMtrOutput(OUTPUT, S);

  test('one result per reported test, combination in the name, time of a pass', () => {
    assert.deepEqual(results[0], { test: "galera_sst_rsync 'release'", outcome: 'PASS', ms: 47162 });
    assert.equal(results.length, 4);
  });

  test('a failure gets its most telling line', () => {
    assert.deepEqual(results[1], {
      test: 'galera_ist_rsync_verify_ca',
      outcome: 'FAIL',
      reason: 'mysqltest: At line 56: assert_grep.inc failed!',
    });
    assert.equal(results[3]?.reason, '2026-12-06 10:00:59 0 [ERROR] WSREP: something');
  });

  test("a skip keeps MTR's reason", () => {
    assert.deepEqual(results[2], {
      test: 'galera_sst_rsync_encrypt_with_key',
      outcome: 'SKIP',
      reason: "MTR: Test requires: 'debug'",
    });
  });

  test('a reason quoting a whole command line is cut at 300 characters', () => {
    const out = parseMtrOutput([`${S}.t1 [ fail ]`, `mysqltest: ${'x'.repeat(400)}`].join('\n'), S);
    assert.equal(out[0]?.reason?.length, 301);
    assert.ok(out[0]?.reason?.endsWith('x…'));
  });

  test('a result diff is named as such', () => {
    const out = parseMtrOutput(
      [`${S}.t1 [ fail ]`, '--- /x/r/t1.result', '+++ /x/r/t1.reject', '@@ -1 +1 @@'].join('\n'),
      S,
    );
    assert.equal(out[0]?.reason, 'result differs from the .result file (/x/r/t1.reject)');
  });
});

describe('completeResults', () => {
  test('a test MTR never reported is a failure; N/A tests are listed; sorted by name', () => {
    const out = completeResults(['b', 'c'], [{ test: "b 'release'", outcome: 'PASS', ms: 1 }], { a: 'stunnel only' });
    assert.deepEqual(out, [
      { test: 'a', outcome: 'N/A', reason: 'stunnel only' },
      { test: "b 'release'", outcome: 'PASS', ms: 1 },
      { test: 'c', outcome: 'FAIL', reason: 'MTR reported no result for this test' },
    ]);
  });
});

describe('formatResult and summary', () => {
  test('one line per test, closing counts', () => {
    assert.match(formatResult({ test: 't', outcome: 'PASS', ms: 47162 }), /^PASS {2}t +47\.2 s$/);
    assert.match(formatResult({ test: 't', outcome: 'FAIL', reason: 'why' }), /^FAIL {2}t +why$/);
    const all = [
      { test: 'a', outcome: 'PASS' as const },
      { test: 'b', outcome: 'FAIL' as const },
      { test: 'c', outcome: 'SKIP' as const },
      { test: 'd', outcome: 'N/A' as const },
    ];
    assert.equal(summary(all), '1 passed, 1 failed, 1 skipped, 1 not applicable');
    assert.equal(summary(all.slice(0, 2)), '1 passed, 1 failed');
  });
});
