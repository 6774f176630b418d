/**
 * The two nodes most integration files use: the joiner on 127.0.0.2 and the donor on 127.0.0.3,
 * each with a certificate naming its IP, from one test CA, under a temporary root.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCert, type NodeCert, type Pki } from './pki';

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
