import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  atLeast,
  describeFeatures,
  ipv6ListenerAdvice,
  rsyncFeatures,
  socatFeatures,
  versionParts,
} from '../../../src/proc/tool-features';

/** Lines of `socat -hhh` as 1.7.4+ prints them (1.7.3.3's list has commonname but no no-sni). */
const LIST_174 = '      openssl-commonname\tgroups=OPENSSL\n      openssl-no-sni\tgroups=OPENSSL\n';
const LIST_173 = '      openssl-commonname\tgroups=OPENSSL\n      openssl-verify\tgroups=OPENSSL\n';

describe('tool versions', () => {
  test('versionParts and atLeast', () => {
    assert.deepEqual(versionParts('1.7.4.1'), [1, 7, 4, 1]);
    assert.deepEqual(versionParts('v3.2.7'), [3, 2, 7, 0]);
    assert.deepEqual(versionParts('3.5.0pre1'), [3, 5, 0, 0]);
    assert.equal(versionParts('unknown'), undefined);
    assert.equal(atLeast('1.7.3.3', '1.7.4'), false);
    assert.equal(atLeast('1.7.4.0', '1.7.4'), true);
    assert.equal(atLeast('1.8.0.0', '1.7.4'), true);
    assert.equal(atLeast('3.4.1', '3.5.0'), false);
    assert.equal(atLeast('3.5.0', '3.5.0'), true);
    assert.equal(atLeast('3.10.0', '3.5.0'), true);
    // An unreadable version is taken as a current tool.
    assert.equal(atLeast('unknown', '3.5.0'), true);
  });
});

describe('socatFeatures', () => {
  test('1.7.3: no nosni, CN only', () => {
    assert.deepEqual(socatFeatures('1.7.3.3', LIST_173), {
      version: '1.7.3.3',
      noSni: false,
      checksIpSan: false,
      listenerNeedsCommonName: false,
    });
  });

  test('1.7.4 and later: nosni, SAN IP checked', () => {
    for (const v of ['1.7.4.2', '1.7.4.4', '1.8.0.0', '1.8.1.3']) {
      assert.deepEqual(socatFeatures(v, LIST_174), {
        version: v,
        noSni: true,
        checksIpSan: true,
        listenerNeedsCommonName: false,
      });
    }
  });

  test('1.7.4.0 and 1.7.4.1: the listener needs a commonname option; on IPv6 the joiner warns', () => {
    for (const v of ['1.7.4.0', '1.7.4.1']) {
      const f = socatFeatures(v, LIST_174);
      assert.equal(f.listenerNeedsCommonName, true, v);
      assert.match(
        ipv6ListenerAdvice(f, true) ?? '',
        new RegExp(
          `socat ${v.replace(/\./g, '\\.')} listening on IPv6 cannot ` +
            `accept a donor certificate that has an IPv6 subjectAltName`,
        ),
      );
      assert.equal(ipv6ListenerAdvice(f, false), undefined);
    }
    assert.equal(ipv6ListenerAdvice(socatFeatures('1.7.4.4', LIST_174), true), undefined);
  });

  test('the option list wins over the version (a backport), the version decides without a list', () => {
    assert.equal(socatFeatures('1.7.3.4', LIST_174).noSni, true);
    assert.equal(socatFeatures('1.7.3.3', '').noSni, false);
    assert.equal(socatFeatures('1.8.0.0', 'socat: unknown option "-hhh"').noSni, true);
  });
});

describe('rsyncFeatures and the log line', () => {
  test('rsync 3.5.0 and later refuse foreign symlinks in module paths', () => {
    assert.equal(rsyncFeatures('3.4.1').refusesForeignSymlinks, false);
    assert.equal(rsyncFeatures('3.5.0').refusesForeignSymlinks, true);
  });

  test('one line naming each adaptation, none for current tools without special rules', () => {
    assert.equal(describeFeatures(socatFeatures('1.8.0.0', LIST_174), rsyncFeatures('3.4.1')), undefined);
    assert.equal(
      describeFeatures(socatFeatures('1.7.3.3', LIST_173), rsyncFeatures('3.5.0')),
      'tool features: socat 1.7.3.3 has no nosni option: VERIFY_CA is expressed with an empty commonname; ' +
        "socat 1.7.3.3 checks only a certificate's CN, not its subjectAltName IP entries; " +
        'rsync 3.5.0 refuses module paths through symlinks owned by other users',
    );
  });
});
