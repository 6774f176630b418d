/**
 * docs/architecture.md §8.6 with the real program, socat and rsync; a driver plays mariadbd. A node's own TLS
 * files and InnoDB directories inside its datadir stay its own: the donor never sends its
 * certificate, key or CA directory, and the donor's --delete cannot remove the joiner's.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { KEEP_FILE } from '../../src/rsync/daemon-config';
import { runSst, STATE_UUID, type NodeSide } from '../helpers/driver';
import { makeDatadir, put } from '../helpers/datadir';
import { subjectHash } from '../helpers/pki';
import { JOINER_IP, twoNodeHooks } from '../helpers/two-nodes';
import { freePort, waitNoTagged } from '../helpers/procs';
import { writeOptionFile } from '../helpers/option-file';

let tag = '';
const nodes = twoNodeHooks('sst-own-', () => [tag]);

describe('own files inside the datadir (docs/architecture.md §8.6)', () => {
  test(
    "joiner redo dir inside its datadir (donor's elsewhere) survives pass 1 and gets ib_logfile0; joiner's " +
      "certificate stays; the donor's certificate and CA directory are not sent",
    async () => {
      tag = `own-${randomBytes(4).toString('hex')}`;
      const base = join(nodes.root, tag);
      const jdata = join(base, 'joiner', 'data');
      const ddata = join(base, 'donor', 'data');
      makeDatadir(ddata);
      // The donor's own material, inside its datadir: a certificate in a database-like directory
      // beside a real table, and a hashed CA directory at the top level.
      put(join(ddata, 'certs', 'node.pem'), fs.readFileSync(nodes.donorCert.bundle));
      put(join(ddata, 'certs', 'notes.txt'), 'sent');
      put(join(ddata, 'cacerts', `${subjectHash(nodes.pki.caCert)}.0`), fs.readFileSync(nodes.pki.caCert));
      // The joiner's: its certificate in datadir/certs, a CA file elsewhere, a stale database.
      put(join(jdata, 'certs', 'node.pem'), fs.readFileSync(nodes.joinerCert.bundle));
      put(join(jdata, 'stale_db', 't.ibd'), 'stale');
      fs.copyFileSync(nodes.pki.caCert, join(base, 'ca.pem'));

      const port = await freePort(JOINER_IP);
      const env = { SST_TEST_TAG: tag };
      const joiner: NodeSide = {
        datadir: jdata,
        cnf: writeOptionFile(
          join(base, 'joiner'),
          { tca: join(base, 'ca.pem'), tcert: 'certs/node.pem' },
          { innodb_log_group_home_dir: 'redo' },
        ),
        env,
      };
      const donor: NodeSide = {
        datadir: ddata,
        cnf: writeOptionFile(
          join(base, 'donor'),
          { tca: join(ddata, 'cacerts'), tcert: join(ddata, 'certs', 'node.pem') },
          {},
        ),
        env,
      };
      const r = await runSst({ joiner, donor, address: `${JOINER_IP}:${port}` });
      const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${r.donor?.stderr() ?? ''}`;
      assert.equal(r.donorCode, 0, detail);
      assert.equal(r.joinerCode, 0, detail);
      assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`);

      assert.deepEqual(
        fs.readFileSync(join(jdata, 'redo', 'ib_logfile0')),
        fs.readFileSync(join(ddata, 'ib_logfile0')),
        'the redo log arrived in the joiner redo dir',
      );
      assert.deepEqual(
        fs.readFileSync(join(jdata, 'certs', 'node.pem')),
        fs.readFileSync(nodes.joinerCert.bundle),
        "the joiner's certificate is its own",
      );
      assert.equal(
        fs.readFileSync(join(jdata, 'certs', 'notes.txt'), 'utf8'),
        'sent',
        'the rest of that directory travels',
      );
      assert.equal(fs.existsSync(join(jdata, 'cacerts')), false, "the donor's CA directory is not sent");
      assert.equal(fs.existsSync(join(jdata, 'stale_db')), false, 'other directories the donor lacks still go');
      assert.deepEqual(fs.readdirSync(join(jdata, 'redo')), ['ib_logfile0'], 'the keep file is removed');
      assert.match(
        r.donor?.stderr() ?? '',
        new RegExp(
          String.raw`WSREP_SST: \[WARNING\] kept on this node: cacerts, certs\/node\.pem: this node's own TLS ` +
            'files inside the datadir are never sent',
        ),
      );
      assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
      assert.equal(fs.existsSync(join(jdata, 'redo', KEEP_FILE)), false);
    },
  );

  // Measured through the tunnel: with rsync 3.2.7 and 3.5.0 the joiner's daemon refuses the file
  // and exits 23 (socat logs it) while the donor's rsync ends with 0, so the SST completes without
  // the file; with 3.1.3 the donor's rsync gets the 23 and the SST fails. Either way the joiner's
  // certificate stays.
  test(
    'a donor that sends a file where the joiner keeps its certificate (an older donor, or data of that name): ' +
      "refused, the joiner's certificate stays",
    async () => {
      tag = `own-refused-${randomBytes(4).toString('hex')}`;
      const base = join(nodes.root, tag);
      const jdata = join(base, 'joiner', 'data');
      const ddata = join(base, 'donor', 'data');
      makeDatadir(ddata);
      put(join(ddata, 'certs', 'node.pem'), 'not the donor certificate: data of that name');
      put(join(jdata, 'certs', 'node.pem'), fs.readFileSync(nodes.joinerCert.bundle));
      const port = await freePort(JOINER_IP);
      const env = { SST_TEST_TAG: tag };
      const r = await runSst({
        joiner: {
          datadir: jdata,
          cnf: writeOptionFile(join(base, 'joiner'), { tca: nodes.pki.caCert, tcert: 'certs/node.pem' }, {}),
          env,
        },
        donor: {
          datadir: ddata,
          cnf: writeOptionFile(join(base, 'donor'), { tca: nodes.pki.caCert, tcert: nodes.donorCert.bundle }, {}),
          env,
        },
        address: `${JOINER_IP}:${port}`,
      });
      const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${r.donor?.stderr() ?? ''}`;
      assert.match(
        `${r.joiner.stderr()}${r.donor?.stderr() ?? ''}`,
        /daemon refused to receive file "certs\/node\.pem"/,
        detail,
      );
      if (r.donorCode === 0) {
        assert.equal(r.joinerCode, 0, detail);
        assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`);
        assert.deepEqual(
          fs.readFileSync(join(jdata, 'shop', 'orders.ibd')),
          fs.readFileSync(join(ddata, 'shop', 'orders.ibd')),
        );
      } else {
        assert.match(
          r.donor?.stderr() ?? '',
          new RegExp(
            String.raw`WSREP_SST: \[ERROR\] (pass 1 \(directories and deletions\)|files \d+\/\d+ \([^)]*\)) ` +
              'failed, rsync returned code 23',
          ),
          detail,
        );
        assert.notEqual(r.joinerCode, 0, detail);
        assert.equal(r.joinerFinal, undefined);
      }
      assert.deepEqual(fs.readFileSync(join(jdata, 'certs', 'node.pem')), fs.readFileSync(nodes.joinerCert.bundle));
      assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
    },
  );
});
