/** `make test-mtr`: the rewrites that turn MariaDB's galera rsync tests into rsync_tunnel twins. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as twin from '../../../../scripts/mtr/twin';

describe('usesRsyncMethod', () => {
  test('an active line in either spelling selects the test', () => {
    assert.equal(twin.usesRsyncMethod('[mysqld]\nwsrep_sst_method=rsync\n'), true);
    assert.equal(twin.usesRsyncMethod('[rsync]\nwsrep-sst-method = rsync\n'), true);
  });

  test('a commented line, another method or rsync_tunnel does not', () => {
    assert.equal(twin.usesRsyncMethod('#wsrep_sst_method=rsync\nwsrep_sst_method=mariabackup\n'), false);
    assert.equal(twin.usesRsyncMethod('wsrep_sst_method=rsync_tunnel\n'), false);
  });
});

describe('twinCnf', () => {
  test('switches the method and adds std_data TLS material when the test names none', () => {
    const out = twin.twinCnf('galera_sst_rsync', '!include ../galera_2nodes.cnf\n\n[mysqld]\nwsrep_sst_method=rsync\n');
    assert.match(out, /^wsrep_sst_method=rsync_tunnel$/m);
    assert.doesNotMatch(out, /^wsrep_sst_method=rsync$/m);
    assert.match(
      out,
      new RegExp(
        String.raw`\n\[sst\]\ntca=@ENV\.MYSQL_TEST_DIR\/std_data\/cacert\.pem\n` +
          String.raw`tcert=@ENV\.MYSQL_TEST_DIR\/std_data\/server-cert\.pem\n` +
          String.raw`tkey=@ENV\.MYSQL_TEST_DIR\/std_data\/server-key\.pem\n$`,
      ),
    );
  });

  test('a test that configures ssl-* keeps exactly its TLS configuration', () => {
    const text = '[mysqld]\nwsrep_sst_method=rsync\nssl-capath=/x/capath\nssl-ca=\n\n[sst]\nssl-mode=VERIFY_CA\n';
    assert.equal(
      twin.twinCnf('galera_sst_rsync_encrypt_with_capath', text),
      text.replace('=rsync\n', '=rsync_tunnel\n'),
    );
  });

  test('role certificates count as the test configuring TLS', () => {
    const out = twin.twinCnf(
      'x',
      '[mysqld]\nwsrep_sst_method=rsync\n[sst]\nssl-server-cert=/s.pem\nssl-client-cert=/c.pem\n',
    );
    assert.doesNotMatch(out, /tcert/);
  });

  test('tcert/tkey without a CA get the std_data CA (the system store would not trust it)', () => {
    const out = twin.twinCnf(
      'galera_sst_rsync_encrypt_with_key',
      '[mysqld]\nwsrep_sst_method=rsync\n\n[sst]\ntkey=/k.pem\ntcert=/c.pem\n',
    );
    assert.match(out, /\n\[sst\]\ntca=@ENV\.MYSQL_TEST_DIR\/std_data\/cacert\.pem\n$/);
    assert.doesNotMatch(out, /tcert=@ENV/);
  });

  test('recv_auto is told the name in MTR certificate, as it advertises ::1', () => {
    assert.match(
      twin.twinCnf('galera_sst_rsync_recv_auto', '[mysqld]\nwsrep_sst_method=rsync\n'),
      /^sockopt=commonname=localhost$/m,
    );
  });
});

describe('twinBaseOptionFile', () => {
  test('drops ssl-mode=DISABLED and advertises localhost instead of 127.0.0.1', () => {
    const text =
      "[mysqld.1]\nwsrep_node_address='127.0.0.1:@mysqld.1.#galera_port'\nwsrep_sst_receive_address='127.0.0." +
      "1:@mysqld.1.#sst_port'\n\n[sst]\nssl-mode=DISABLED\nsst-log-archive-dir=x\n";
    const out = twin.twinBaseOptionFile(text);
    assert.match(out, /^wsrep_sst_receive_address='localhost:@mysqld\.1\.#sst_port'$/m);
    assert.match(out, /^wsrep_node_address='127\.0\.0\.1:/m, 'only the SST address changes');
    assert.doesNotMatch(out, /DISABLED/);
    assert.match(out, /^\[sst\]\nsst-log-archive-dir=x$/m);
  });
});

describe('twinCombinations', () => {
  test('keeps only the rsync combinations, renamed and switched', () => {
    assert.equal(
      twin.twinCombinations('[rsync]\nwsrep-sst-method=rsync\n\n[mariabackup]\nwsrep-sst-method=mariabackup\n'),
      '[rsync_tunnel]\nwsrep-sst-method=rsync_tunnel\n\n',
    );
  });
});

describe('twinTest', () => {
  test('drops the stunnel requirement', () => {
    assert.equal(
      twin.twinTest('--source include/galera_cluster.inc\n--source include/have_stunnel.inc\nSELECT 1;\n'),
      '--source include/galera_cluster.inc\nSELECT 1;\n',
    );
  });

  test('log patterns in the stock wording search for our line; echoed text stays', () => {
    const text = [
      '--let $assert_text = Using stunnel for SSL encryption',
      '--let $assert_select = Using stunnel for SSL encryption',
      '--let $assert_match = Using stunnel for SSL encryption',
      '--let SEARCH_PATTERN = Verifying peer certificate chain for ssl-mode=VERIFY_CA',
      '--let $assert_select = rsync IST completed on joiner',
    ].join('\n');
    assert.deepEqual(twin.twinTest(text).split('\n'), [
      '--let $assert_text = Using stunnel for SSL encryption',
      '--let $assert_select = TLS: ssl-mode',
      '--let $assert_match = TLS: ssl-mode',
      '--let SEARCH_PATTERN = TLS: ssl-mode VERIFY_CA',
      '--let $assert_select = rsync IST completed on joiner',
    ]);
  });
});

describe('twinSuitePm', () => {
  const pm =
    "package My::Suite::Galera;\n\nuse lib 'suite';\n\nreturn wsrep_not_ok() if wsrep_not_ok();\n\npush " +
    '@::global_suppressions, ();\nbless { };\n';

  test('own package, our directory first on PATH (checked), localhost warning suppressed', () => {
    const out = twin.twinSuitePm(pm, '/tmp/sstmtrX/bin');
    assert.match(out, /^package My::Suite::GaleraRsyncTunnel;$/m);
    const lines = out.split('\n');
    const at = lines.indexOf('return wsrep_not_ok() if wsrep_not_ok();');
    assert.equal(lines[at + 1], '$ENV{PATH} = "/tmp/sstmtrX/bin:$ENV{PATH}";');
    assert.match(out, /unless \$sst_bin eq "\/tmp\/sstmtrX\/bin\/wsrep_sst_rsync_tunnel";/);
    assert.match(out, /qr\(WSREP: wsrep_sst_receive_address is set to 'localhost\)/);
  });

  test('refuses a suite.pm it cannot anchor on, and a directory Perl would interpolate', () => {
    assert.throws(() => twin.twinSuitePm('package Other;\n', '/b'), /has changed/);
    assert.throws(() => twin.twinSuitePm(pm, '/tmp/$x'), /cannot be quoted/);
  });
});
