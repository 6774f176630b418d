/**
 * The two nodes most integration files use: the joiner on 127.0.0.2 and the donor on 127.0.0.3,
 * each with a certificate naming its IP, from one test CA, under a temporary root.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import type { NodeSide } from './driver';
import { writeOptionFile, type Options } from './option-file';
import { createCa, issueCert, type NodeCert, type Pki } from './pki';
import { killTagged } from './procs';

export const JOINER_IP = '127.0.0.2';
export const DONOR_IP = '127.0.0.3';

export interface TwoNodePki {
  root: string;
  pki: Pki;
  joinerCert: NodeCert;
  donorCert: NodeCert;
}

export function makeTwoNodePki(prefix: string): TwoNodePki {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const pki = createCa(join(root, 'pki'));
  return {
    root,
    pki,
    joinerCert: issueCert(pki, { cn: JOINER_IP, ips: [JOINER_IP], name: 'joiner' }),
    donorCert: issueCert(pki, { cn: DONOR_IP, ips: [DONOR_IP], name: 'donor' }),
  };
}

/**
 * The hooks of a file of two-node tests: the PKI made before its tests and removed after them;
 * after each test, the processes of the tags `tags()` names are killed. The object returned is
 * filled in by the before() hook.
 */
export function twoNodeHooks(prefix: string, tags: () => readonly string[]): TwoNodePki {
  const nodes = {} as TwoNodePki;
  before(() => {
    Object.assign(nodes, makeTwoNodePki(prefix));
  });
  after(() => rmSync(nodes.root, { recursive: true, force: true }));
  afterEach(() => tags().forEach(killTagged));
  return nodes;
}

/**
 * One node for the driver: `<dir>/my.cnf` (writeOptionFile), its datadir `<dir>/data` (not made), its processes tagged
 * `tag`.
 */
export function nodeSide(dir: string, tag: string, sst: Options, mysqld: Options = {}): NodeSide {
  return { datadir: join(dir, 'data'), cnf: writeOptionFile(dir, sst, mysqld), env: { SST_TEST_TAG: tag } };
}
