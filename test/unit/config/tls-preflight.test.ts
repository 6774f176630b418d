import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  certificateMatchesHost,
  describeCertificate,
  describeNames,
  preflightTls,
  type CertificateInfo,
  type PreflightResult,
} from '../../../src/config/tls-preflight';
import type { TlsSettings } from '../../../src/config/tls';
import { SstError } from '../../../src/errors';
import {
  createCa,
  encryptKey,
  issueCert,
  openssl,
  selfSigned,
  subjectHash,
  traditionalKey,
  type NodeCert,
  type Pki,
} from '../../helpers/pki';

const DAY_MS = 24 * 60 * 60 * 1000;

function settings(over: Partial<TlsSettings> & { cert: string }): TlsSettings {
  return { mode: 'VERIFY_IDENTITY', source: 'tca/tcert/tkey', notes: [], warnings: [], ...over };
}

function assertBadConfig(fn: () => unknown, pattern: RegExp): SstError {
  let caught: SstError | undefined;
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SstError, `expected SstError, got ${String(error)}`);
    assert.equal(error.code, 22);
    assert.match(error.message, pattern);
    caught = error;
    return true;
  });
  assert.ok(caught);
  return caught;
}

/**
 * What an accepted certificate gives back: its own CN, no warning, and the CA it chains to named
 * in an info line (`issuer` matches it).
 */
function assertAccepted(r: PreflightResult, cn: string, issuer: RegExp): void {
  assert.equal(r.certificate.subjectCN, cn);
  assert.deepEqual(r.warnings, []);
  assert.ok(
    r.infos.some((i) => issuer.test(i)),
    r.infos.join('\n'),
  );
}

/** The info line of a certificate issued by the test CA `ca`, found in a CA file. */
const FROM_TEST_CA = /^Certificate issued by CN=Test CA ca from CA file '/;

let dir: string;
let pki: Pki;
let node1: NodeCert;

before(() => {
  dir = fs.mkdtempSync(join(tmpdir(), 'tls-preflight-'));
  pki = createCa(join(dir, 'pki'));
  node1 = issueCert(pki, { cn: 'node1.example', dns: ['node1.example'], ips: ['192.0.2.1', '::1'] });
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('preflightTls: good material', () => {
  it('accepts a key+certificate bundle with no key file (the original README)', () => {
    const r = preflightTls(settings({ cert: node1.bundle, caFile: pki.caCert }));
    assert.equal(r.certificate.subjectCN, 'node1.example');
    assert.deepEqual(r.certificate.dnsNames, ['node1.example']);
    assert.deepEqual(r.certificate.ipAddresses, ['192.0.2.1', '::1']);
    assert.equal(r.certificate.issuerCN, 'Test CA ca');
    assert.match(r.certificate.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(r.certificate.validFrom < new Date(), 'valid from the past');
    assert.ok(r.certificate.validTo > new Date(), 'valid into the future');
    assert.deepEqual(r.warnings, []);
    assert.ok(
      r.infos.some((i) => /CN=node1\.example, DNS:node1\.example, IP:192\.0\.2\.1, IP:::1/.test(i)),
      r.infos.join('\n'),
    );
    assert.ok(
      r.infos.some((i) => /issued by CN=Test CA ca from CA file/.test(i)),
      r.infos.join('\n'),
    );
  });

  it('accepts a certificate with a separate key file', () => {
    assertAccepted(
      preflightTls(settings({ cert: node1.cert, key: node1.key, caFile: pki.caCert })),
      'node1.example',
      FROM_TEST_CA,
    );
  });

  it('accepts a bundle with the certificate first and the key after it', () => {
    const reversed = join(dir, 'reversed.pem');
    fs.writeFileSync(reversed, fs.readFileSync(node1.cert, 'utf8') + fs.readFileSync(node1.key, 'utf8'));
    assertAccepted(preflightTls(settings({ cert: reversed, caFile: pki.caCert })), 'node1.example', FROM_TEST_CA);
  });

  it('prefers the key file over a key inside the bundle', () => {
    const other = issueCert(pki, { cn: 'other' });
    // The bundle holds node1's key, the key file holds other's: the key file decides, and mismatches.
    assertBadConfig(() => preflightTls(settings({ cert: node1.bundle, key: other.key })), /do not match/);
  });

  it('accepts no CA at all and says the issuer is not checked', () => {
    assertAccepted(
      preflightTls(settings({ cert: node1.bundle })),
      'node1.example',
      /^No CA configured: the issuer of our certificate is not checked locally\.$/,
    );
  });

  for (const keyType of ['rsa', 'ec', 'ed25519'] as const) {
    it(`accepts ${keyType} keys`, () => {
      const c = issueCert(pki, { cn: `kt-${keyType}`, keyType });
      assertAccepted(
        preflightTls(settings({ cert: c.cert, key: c.key, caFile: pki.caCert })),
        `kt-${keyType}`,
        FROM_TEST_CA,
      );
      assertAccepted(preflightTls(settings({ cert: c.bundle, caFile: pki.caCert })), `kt-${keyType}`, FROM_TEST_CA);
    });
  }

  for (const keyType of ['rsa', 'ec'] as const) {
    it(`accepts a traditional ${keyType} key encoding`, () => {
      const c = issueCert(pki, { cn: `trad-${keyType}`, keyType });
      const key = traditionalKey(c.key, join(dir, `trad-${keyType}.key`));
      assert.match(fs.readFileSync(key, 'utf8'), new RegExp(`BEGIN ${keyType.toUpperCase()} PRIVATE KEY`));
      assertAccepted(
        preflightTls(settings({ cert: c.cert, key, caFile: pki.caCert })),
        `trad-${keyType}`,
        FROM_TEST_CA,
      );
    });
  }

  it('does not depend on the ssl-mode', () => {
    for (const mode of ['VERIFY_CA', 'REQUIRED'] as const) {
      assertAccepted(
        preflightTls(settings({ cert: node1.bundle, caFile: pki.caCert, mode })),
        'node1.example',
        FROM_TEST_CA,
      );
    }
  });
});

describe('preflightTls: files', () => {
  it('reports a missing certificate file with its path', () => {
    const e = assertBadConfig(
      () => preflightTls(settings({ cert: join(dir, 'nope.pem') })),
      /certificate file '.*nope\.pem' was not found \(ENOENT\)/,
    );
    assert.doesNotMatch(e.message, /ProtectHome/);
  });

  it('reports a directory given as the certificate', () => {
    assertBadConfig(() => preflightTls(settings({ cert: dir })), /certificate file '.*' is a directory, not a file/);
  });

  it('reports a missing key file and a missing CA file', () => {
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.cert, key: join(dir, 'no.key') })),
      /private key file '.*no\.key' was not found/,
    );
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.bundle, caFile: join(dir, 'no-ca.crt') })),
      /CA file '.*no-ca\.crt' was not found/,
    );
  });

  it('reports a missing CA directory', () => {
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.bundle, caPath: join(dir, 'no-cadir') })),
      /CA directory '.*no-cadir' was not found/,
    );
  });

  for (const home of ['/root', '/home', '/run/user']) {
    it(`adds the ProtectHome hint for a path under ${home}`, () => {
      const path = `${home}/wsrep-sst-test-does-not-exist/mysql.pem`;
      assertBadConfig(() => preflightTls(settings({ cert: path })), /ProtectHome=true/);
    });
  }

  it('does not add the hint for look-alike paths', () => {
    const e = assertBadConfig(() => preflightTls(settings({ cert: '/homes/x/mysql.pem' })), /not found/);
    assert.doesNotMatch(e.message, /ProtectHome/);
  });

  // Root reads everything, so EACCES is produced by running the check as an unprivileged user.
  const preflightModule = join(__dirname, '../../../src/config/tls-preflight.js');
  const NOBODY = { uid: 65534, gid: 65534 };
  // Also false when the build tree itself is out of nobody's reach (e.g. built under /root).
  const canDropPrivileges =
    process.getuid?.() === 0 &&
    spawnSync(process.execPath, ['-e', `require(${JSON.stringify(preflightModule)})`], NOBODY).status === 0;

  function preflightAsNobody(cert: string): { code?: number; message?: string } {
    const script =
      `const { preflightTls } = require(${JSON.stringify(preflightModule)});` +
      `try { preflightTls({ cert: ${JSON.stringify(cert)}, mode: 'VERIFY_IDENTITY', source: 'ssl-*', notes: ` +
      `[], warnings: [] }); ` +
      `console.log('{}'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const r = spawnSync(process.execPath, ['-e', script], { ...NOBODY, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { code?: number; message?: string };
  }

  it('reports EACCES with the path', { skip: !canDropPrivileges && 'needs root to run a check as nobody' }, () => {
    const cert = join(dir, 'private.pem');
    fs.copyFileSync(node1.bundle, cert);
    // mkdtemp made `dir` 0700 for root, so nobody cannot even reach the file.
    assert.equal(fs.statSync(dir).mode & 0o077, 0);
    const r = preflightAsNobody(cert);
    assert.equal(r.code, 22);
    assert.match(
      r.message ?? '',
      new RegExp(`Cannot read the certificate file '${cert}': permission denied \\(EACCES\\)`),
    );
    assert.doesNotMatch(r.message ?? '', /ProtectHome/);
  });

  const rootIsPrivate = (() => {
    try {
      return (fs.statSync('/root').mode & 0o077) === 0;
    } catch {
      return false;
    }
  })();

  it('reports EACCES under /root with the ProtectHome hint', {
    skip: !(canDropPrivileges && rootIsPrivate) && 'needs root and a private /root',
  }, () => {
    const r = preflightAsNobody('/root/tls/mysql.pem');
    assert.equal(r.code, 22);
    assert.match(r.message ?? '', /'\/root\/tls\/mysql\.pem': permission denied \(EACCES\).*ProtectHome=true/);
  });
});

describe('preflightTls: certificate and key', () => {
  it('fails when the certificate file holds no certificate', () => {
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.key })),
      /No PEM certificate found in the certificate file/,
    );
    const empty = join(dir, 'empty.pem');
    fs.writeFileSync(empty, '');
    assertBadConfig(() => preflightTls(settings({ cert: empty })), /No PEM certificate found/);
  });

  it('fails on a damaged certificate', () => {
    const damaged = join(dir, 'damaged.pem');
    fs.writeFileSync(damaged, '-----BEGIN CERTIFICATE-----\nTUlJQmFk\n-----END CERTIFICATE-----\n');
    assertBadConfig(
      () => preflightTls(settings({ cert: damaged, key: node1.key })),
      /Cannot parse a certificate in the certificate file/,
    );
  });

  it('fails when no key is anywhere: certificate only, no key file', () => {
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.cert })),
      /No private key: tkey in \[sst\] is not set .*Set tkey in \[sst\], or put/,
    );
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.cert, source: 'ssl-*' })),
      /No private key: ssl-key is not set/,
    );
  });

  it('fails when the key file holds no key', () => {
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.cert, key: node1.cert })),
      /No PEM private key found in the key file/,
    );
  });

  it('fails on a damaged key', () => {
    const damaged = join(dir, 'damaged.key');
    fs.writeFileSync(damaged, '-----BEGIN PRIVATE KEY-----\nTUlJQmFk\n-----END PRIVATE KEY-----\n');
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.cert, key: damaged })),
      /Cannot parse the private key in '.*damaged\.key'/,
    );
  });

  it("fails with upstream's text when key and certificate do not match", () => {
    const other = issueCert(pki, { cn: 'node2.example' });
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.cert, key: other.key, caFile: pki.caCert })),
      /^The certificate and private key do not match\./,
    );
  });

  it('detects a mismatch across key types', () => {
    const rsa = issueCert(pki, { cn: 'mismatch-rsa', keyType: 'rsa' });
    assertBadConfig(() => preflightTls(settings({ cert: rsa.cert, key: node1.key })), /do not match/);
  });

  it('rejects a passphrase-protected PKCS#8 key', () => {
    const enc = encryptKey(node1.key, join(dir, 'enc.key'), 'secret');
    assert.match(fs.readFileSync(enc, 'utf8'), /ENCRYPTED PRIVATE KEY/);
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.cert, key: enc })),
      /'.*enc\.key' is protected by a passphrase/,
    );
  });

  it('rejects a passphrase-protected traditional key inside a bundle', () => {
    const enc = join(dir, 'enc-trad.key');
    openssl(['pkey', '-in', node1.key, '-out', enc, '-traditional', '-aes256', '-passout', 'pass:secret']);
    assert.match(fs.readFileSync(enc, 'utf8'), /Proc-Type: 4,ENCRYPTED/);
    const bundle = join(dir, 'enc-bundle.pem');
    fs.writeFileSync(bundle, fs.readFileSync(enc, 'utf8') + fs.readFileSync(node1.cert, 'utf8'));
    assertBadConfig(() => preflightTls(settings({ cert: bundle })), /protected by a passphrase/);
  });
});

describe('preflightTls: CA', () => {
  it("fails with upstream's text when another CA issued the certificate", () => {
    const otherCa = createCa(join(dir, 'other-pki'), 'other');
    const e = assertBadConfig(
      () => preflightTls(settings({ cert: node1.bundle, caFile: otherCa.caCert })),
      /^It does not appear that the certificate was issued by the CA\./,
    );
    assert.match(e.message, /issued by CN=Test CA ca; the CA file '.*other\.crt' holds: CN=Test CA other/);
  });

  it('accepts a CA file holding several CAs, the issuer not first', () => {
    const otherCa = createCa(join(dir, 'other-pki2'), 'other2');
    const list = join(dir, 'cas.crt');
    fs.writeFileSync(list, fs.readFileSync(otherCa.caCert, 'utf8') + fs.readFileSync(pki.caCert, 'utf8'));
    assertAccepted(
      preflightTls(settings({ cert: node1.bundle, caFile: list })),
      'node1.example',
      /^Certificate issued by CN=Test CA ca from CA file '.*cas\.crt'\.$/,
    );
  });

  it('names only a few CAs of a large bundle in the error', () => {
    const many = join(dir, 'many-cas.crt');
    const cas = Array.from({ length: 7 }, (_, i) => createCa(join(dir, 'many'), `m${i}`));
    fs.writeFileSync(many, cas.map((c) => fs.readFileSync(c.caCert, 'utf8')).join(''));
    const e = assertBadConfig(() => preflightTls(settings({ cert: node1.bundle, caFile: many })), /issued by the CA/);
    assert.match(
      e.message,
      /holds: CN=Test CA m0; CN=Test CA m1; CN=Test CA m2; CN=Test CA m3; CN=Test CA m4 and 2 more\.$/,
    );
  });

  it('fails when the CA file holds no certificate', () => {
    assertBadConfig(
      () => preflightTls(settings({ cert: node1.bundle, caFile: node1.key })),
      /No PEM certificate found in the CA file/,
    );
  });

  describe('a list of self-signed node certificates (the original README, scenario 1)', () => {
    let nodes: NodeCert[];
    let list: string;

    before(() => {
      const selfDir = join(dir, 'self');
      nodes = ['n1', 'n2', 'n3'].map((n) => selfSigned(selfDir, `${n}.example`));
      list = join(selfDir, 'all-mysql.crt');
      fs.writeFileSync(list, nodes.map((n) => fs.readFileSync(n.cert, 'utf8')).join(''));
    });

    it('accepts each node', () => {
      for (const [i, n] of nodes.entries()) {
        assertAccepted(
          preflightTls(settings({ cert: n.bundle, caFile: list })),
          `n${i + 1}.example`,
          /^Certificate issued by CN=n\d\.example from CA file '.*all-mysql\.crt'\.$/,
        );
      }
    });

    it('rejects a self-signed certificate missing from the list', () => {
      const stranger = selfSigned(join(dir, 'self'), 'stranger.example');
      assertBadConfig(
        () => preflightTls(settings({ cert: stranger.bundle, caFile: list })),
        /not appear that the certificate was issued by the CA/,
      );
    });

    it('accepts a self-signed certificate as its own CA file', () => {
      const [first] = nodes;
      assert.ok(first);
      assertAccepted(
        preflightTls(settings({ cert: first.bundle, caFile: first.cert })),
        'n1.example',
        /^Certificate issued by CN=n1\.example from CA file /,
      );
    });

    it('reports an expired self-signed certificate as expired, not as a CA problem', () => {
      const old = selfSigned(join(dir, 'self'), 'old.example', { expired: true });
      assertBadConfig(
        () => preflightTls(settings({ cert: old.bundle, caFile: old.cert })),
        /^The certificate '.*old\.example\.pem' expired on/,
      );
    });
  });

  describe('a CA directory', () => {
    it('accepts a directory with a hash-named CA, without warnings', () => {
      const caDir = join(dir, 'cadir-hashed');
      fs.mkdirSync(caDir);
      fs.copyFileSync(pki.caCert, join(caDir, `${subjectHash(pki.caCert)}.0`));
      assertAccepted(
        preflightTls(settings({ cert: node1.bundle, caPath: caDir })),
        'node1.example',
        /^Certificate issued by CN=Test CA ca from '.*cadir-hashed\/[0-9a-f]{8}\.0'\.$/,
      );
    });

    it('accepts *.pem / *.crt entries but warns that OpenSSL needs the hash links', () => {
      const caDir = join(dir, 'cadir-plain');
      fs.mkdirSync(caDir);
      fs.copyFileSync(pki.caCert, join(caDir, 'cluster-ca.pem'));
      fs.writeFileSync(join(caDir, 'README'), 'not a certificate');
      const r = preflightTls(settings({ cert: node1.bundle, caPath: caDir }));
      assert.equal(r.certificate.subjectCN, 'node1.example');
      assert.equal(r.warnings.length, 1);
      assert.match(r.warnings[0] ?? '', /cluster-ca\.pem.*openssl rehash/);
    });

    it('does not warn when the CA is there under a plain name and a hash link', () => {
      const caDir = join(dir, 'cadir-both');
      fs.mkdirSync(caDir);
      // Sorts before any hash name but one: the hash link must still be preferred.
      fs.copyFileSync(pki.caCert, join(caDir, '00000000-ca.pem'));
      fs.copyFileSync(pki.caCert, join(caDir, `${subjectHash(pki.caCert)}.0`));
      assert.deepEqual(preflightTls(settings({ cert: node1.bundle, caPath: caDir })).warnings, []);
    });

    it('fails when no entry issued the certificate', () => {
      const caDir = join(dir, 'cadir-empty');
      fs.mkdirSync(caDir);
      assertBadConfig(
        () => preflightTls(settings({ cert: node1.bundle, caPath: caDir })),
        /not appear that the certificate was issued by the CA\..*CA directory '.*cadir-empty' holds: no certificates/,
      );
    });

    it('uses a CA file and a CA directory together', () => {
      const caDir = join(dir, 'cadir-unrelated');
      fs.mkdirSync(caDir);
      preflightTls(settings({ cert: node1.bundle, caFile: pki.caCert, caPath: caDir }));
    });
  });

  describe('intermediate CAs', () => {
    let root: Pki;
    let intermediate: Pki;
    let leaf: NodeCert;

    before(() => {
      root = createCa(join(dir, 'chain'), 'root');
      intermediate = createCa(join(dir, 'chain'), 'intermediate', root);
      leaf = issueCert(intermediate, { cn: 'chained.example' });
    });

    it('follows intermediates shipped in the certificate file to the root CA', () => {
      const chainFile = join(dir, 'chain', 'chained-full.pem');
      fs.writeFileSync(
        chainFile,
        [leaf.key, leaf.cert, intermediate.caCert].map((f) => fs.readFileSync(f, 'utf8')).join(''),
      );
      const r = preflightTls(settings({ cert: chainFile, caFile: root.caCert }));
      assert.equal(r.certificate.subjectCN, 'chained.example');
      assert.ok(r.infos.some((i) => /issued by CN=Test CA root/.test(i)));
    });

    it('fails without the intermediate when only the root is trusted', () => {
      assertBadConfig(() => preflightTls(settings({ cert: leaf.bundle, caFile: root.caCert })), /issued by the CA/);
    });

    it('accepts the intermediate as the trusted CA', () => {
      assertAccepted(
        preflightTls(settings({ cert: leaf.bundle, caFile: intermediate.caCert })),
        'chained.example',
        /^Certificate issued by CN=Test CA intermediate from CA file /,
      );
    });
  });
});

describe('preflightTls: validity dates', () => {
  it('rejects an expired certificate', () => {
    const old = issueCert(pki, { cn: 'expired.example', expired: true });
    assertBadConfig(
      () => preflightTls(settings({ cert: old.bundle, caFile: pki.caCert })),
      /The certificate '.*expired\.example\.pem' expired on \d{4}-/,
    );
  });

  it('rejects a certificate that is not valid yet', () => {
    const future = issueCert(pki, { cn: 'future.example', notYetValid: true });
    assertBadConfig(
      () => preflightTls(settings({ cert: future.bundle, caFile: pki.caCert })),
      /is not valid yet: its validity starts \d{4}-/,
    );
  });

  it('warns when the certificate expires within 30 days', () => {
    const soon = issueCert(pki, { cn: 'soon.example', days: 10 });
    const r = preflightTls(settings({ cert: soon.bundle, caFile: pki.caCert }));
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /soon\.example\.pem' expires on .* \(in (9|10) days\)/);
  });

  it('judges dates at the given time', () => {
    const validTo = new X509Certificate(fs.readFileSync(node1.cert)).validTo;
    const end = new Date(validTo).getTime();
    assert.deepEqual(preflightTls(settings({ cert: node1.bundle }), { now: new Date(end - 31 * DAY_MS) }).warnings, []);
    assert.equal(
      preflightTls(settings({ cert: node1.bundle }), { now: new Date(end - 29 * DAY_MS) }).warnings.length,
      1,
    );
    assertBadConfig(() => preflightTls(settings({ cert: node1.bundle }), { now: new Date(end + 1000) }), /expired on/);
  });

  it('rejects an expired CA certificate even while the node certificate is valid', () => {
    const longLived = issueCert(pki, { cn: 'long.example', days: 4000 });
    const caEnd = new Date(new X509Certificate(fs.readFileSync(pki.caCert)).validTo).getTime();
    assertBadConfig(
      () => preflightTls(settings({ cert: longLived.bundle, caFile: pki.caCert }), { now: new Date(caEnd + DAY_MS) }),
      /The CA certificate 'CN=Test CA ca' in CA file '.*' expired on/,
    );
  });
});

describe('certificateMatchesHost', () => {
  function info(over: Partial<CertificateInfo>): CertificateInfo {
    return { dnsNames: [], ipAddresses: [], validFrom: new Date(0), validTo: new Date(0), fingerprint256: '', ...over };
  }

  it('matches DNS SANs and the CN, exactly', () => {
    const i = info({ subjectCN: 'node1.example', dnsNames: ['db1.example', 'db1'] });
    assert.ok(certificateMatchesHost(i, 'db1.example'));
    assert.ok(certificateMatchesHost(i, 'db1'));
    // socat also checks the CN when DNS SANs exist (RFC 6125 would not).
    assert.ok(certificateMatchesHost(i, 'node1.example'));
    assert.ok(!certificateMatchesHost(i, 'node2.example'));
    assert.ok(!certificateMatchesHost(i, 'example'));
  });

  it('is case-sensitive, as socat is', () => {
    assert.ok(!certificateMatchesHost(info({ subjectCN: 'Node1.example' }), 'node1.example'));
    assert.ok(!certificateMatchesHost(info({ dnsNames: ['DB1.example'] }), 'db1.example'));
  });

  it('matches wildcards like socat: one label, or the base domain', () => {
    const i = info({ dnsNames: ['*.db.example'] });
    assert.ok(certificateMatchesHost(i, 'n1.db.example'));
    assert.ok(certificateMatchesHost(i, 'db.example'));
    assert.ok(!certificateMatchesHost(i, 'a.n1.db.example'));
    assert.ok(!certificateMatchesHost(i, 'n1.other.example'));
    assert.ok(certificateMatchesHost(info({ subjectCN: '*.db.example' }), 'n2.db.example'));
  });

  it('matches IP addresses against IP SANs in any spelling', () => {
    const i = info({ subjectCN: 'node1', ipAddresses: ['192.0.2.1', '2001:db8::1'] });
    assert.ok(certificateMatchesHost(i, '192.0.2.1'));
    assert.ok(certificateMatchesHost(i, '2001:db8::1'));
    assert.ok(certificateMatchesHost(i, '[2001:db8::1]'));
    assert.ok(certificateMatchesHost(i, '2001:0db8:0:0:0:0:0:1'));
    assert.ok(!certificateMatchesHost(i, 'fe80::1%eth0'));
    assert.ok(!certificateMatchesHost(i, '192.0.2.2'));
  });

  it('matches an IP address written in the CN or a DNS SAN as text', () => {
    assert.ok(certificateMatchesHost(info({ subjectCN: '192.0.2.7' }), '192.0.2.7'));
    assert.ok(certificateMatchesHost(info({ dnsNames: ['192.0.2.8'] }), '192.0.2.8'));
    assert.ok(certificateMatchesHost(info({ subjectCN: '::1' }), '[::1]'));
  });

  it('does not match a host name against IP SANs', () => {
    assert.ok(!certificateMatchesHost(info({ ipAddresses: ['127.0.0.1'] }), 'localhost'));
  });

  it('accepts localhost for a local address only when asked to', () => {
    const i = info({ subjectCN: 'localhost' });
    assert.ok(!certificateMatchesHost(i, '127.0.0.1'));
    assert.ok(certificateMatchesHost(i, '127.0.0.1', { local: true }));
    assert.ok(certificateMatchesHost(info({ dnsNames: ['localhost'] }), '::1', { local: true }));
    assert.ok(!certificateMatchesHost(info({ subjectCN: 'node9' }), '127.0.0.1', { local: true }));
  });

  it('takes an X509Certificate as well', () => {
    const x = new X509Certificate(fs.readFileSync(node1.cert));
    assert.ok(certificateMatchesHost(x, 'node1.example'));
    assert.ok(certificateMatchesHost(x, '192.0.2.1'));
    assert.ok(certificateMatchesHost(x, '[::1]'));
    assert.ok(certificateMatchesHost(x, '0:0:0:0:0:0:0:1'));
    assert.ok(!certificateMatchesHost(x, '127.0.0.1'));
    assert.ok(!certificateMatchesHost(x, 'node2.example'));
  });
});

describe('describeNames / describeCertificate', () => {
  it('lists CN, DNS and IP names', () => {
    const x = new X509Certificate(fs.readFileSync(node1.cert));
    assert.equal(describeNames(describeCertificate(x)), 'CN=node1.example, DNS:node1.example, IP:192.0.2.1, IP:::1');
  });

  it('says so when a certificate carries no name', () => {
    const none: CertificateInfo = {
      dnsNames: [],
      ipAddresses: [],
      validFrom: new Date(0),
      validTo: new Date(0),
      fingerprint256: '',
    };
    assert.equal(describeNames(none), 'no CN and no subjectAltName');
  });

  it('reads the validity dates and the issuer', () => {
    const c = issueCert(pki, { cn: 'dates.example', days: 100 });
    const i = describeCertificate(new X509Certificate(fs.readFileSync(c.cert)));
    const days = (i.validTo.getTime() - Date.now()) / DAY_MS;
    assert.ok(days > 99, String(days));
    assert.ok(days <= 100, String(days));
    assert.equal(i.issuerCN, 'Test CA ca');
    assert.equal(i.dnsNames.length, 0);
  });
});

describe('peer verification off', () => {
  it('a certificate the CA did not issue is only a warning when verifyPeer is false', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'pf-off-'));
    try {
      const stranger = selfSigned(dir, 'stranger');
      const s = settings({ cert: stranger.bundle, caFile: pki.caCert });
      assertBadConfig(() => preflightTls(s), /not appear that the certificate was issued by the CA/);
      const r = preflightTls(s, { verifyPeer: false });
      assert.match(r.warnings.join('\n'), /issued by the CA.*Accepted because peer verification is off/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
