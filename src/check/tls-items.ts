/**
 * Certificate checks as separate verdicts: key matches certificate, CA issued it, dates, and the
 * name a donor verifies.
 *
 * The SST's own pre-flight (preflightTls) stops at its first error; an operator wants every
 * problem at once. Rather than re-implementing it, it is run three times, each run isolating one
 * question, so every verdict is the SST's own rule and message:
 *  1. without CA, at the moment of the certificate's validity closest to now: reading, parsing,
 *     key match (the certificate's own dates cannot interfere);
 *  2. with the CA, at that same moment: the issuer. A date error here can only be about a CA or
 *     intermediate certificate, found after the chain was built: the issuer is right, the dates
 *     are run 3's business;
 *  3. exactly as the SST runs it, now (without the CA when run 2 failed, so its failure is not
 *     reported twice): what is left to fail is validity dates.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  certificateMatchesHost,
  describeNames,
  preflightTls,
  type CertificateInfo,
  type PreflightResult,
} from '../config/tls-preflight';
import { SstError } from '../errors';
import { donorVerification, type Advertised } from './advertised';
import type { TlsContext } from './config';
import { item, type CheckItem } from './result';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `now` moved into the certificate's validity (its first or last second when now is outside),
 * or `now` when the file cannot be parsed (run 1 then reports why).
 */
function insideValidity(cert: string, now: Date): Date {
  try {
    const x = new X509Certificate(readFileSync(cert));
    const from = new Date(x.validFrom).getTime();
    const to = new Date(x.validTo).getTime();
    return from <= to ? new Date(Math.min(Math.max(now.getTime(), from), to)) : now;
  } catch {
    return now;
  }
}

type Run = { ok: true; result: PreflightResult } | { ok: false; message: string };

function run(fn: () => PreflightResult): Run {
  try {
    return { ok: true, result: fn() };
  } catch (e) {
    if (e instanceof SstError) return { ok: false, message: e.message };
    throw e;
  }
}

const isExpiryNote = (w: string): boolean => / expires on /.test(w);
/** checkDates() in tls-preflight.ts: the two ways a certificate's dates fail. */
const isDateError = (m: string): boolean => / is not valid yet: | expired on /.test(m);

export interface TlsItems {
  items: CheckItem[];
  /** Our certificate, when it could be read. */
  certificate?: CertificateInfo;
}

/**
 * `suffix` tells the joiner's and the donor's material apart when the ssl-server-/ssl-client- options make them differ.
 */
export function certificateItems(tls: TlsContext, now: Date, suffix = ''): TlsItems {
  const s = tls.settings;
  const label = (text: string): string => `${text}${suffix}`;
  const id = (text: string): string => `${text}${suffix ? `:${suffix.replace(/[^a-z]/g, '')}` : ''}`;
  const moment = insideValidity(s.cert, now);

  const first = run(() => preflightTls({ ...s, caFile: undefined, caPath: undefined }, { now: moment }));
  if (!first.ok) {
    const skip = 'not checked: the certificate or key could not be used';
    return {
      items: [
        item(id('key-match'), label('cert and key'), 'FAIL', first.message),
        item(id('ca'), label('CA issued cert'), 'SKIP', skip),
        item(id('expiry'), label('cert validity'), 'SKIP', skip),
      ],
    };
  }
  const certificate = first.result.certificate;
  const keyFrom = s.key !== undefined ? `the key ${s.key}` : `the key inside ${s.cert}`;
  const items = [
    item(
      id('key-match'),
      label('cert and key'),
      'PASS',
      `${keyFrom} belongs to the certificate (${describeNames(certificate)})`,
    ),
  ];
  const ca = caItem(tls, moment, id('ca'), label('CA issued cert'));
  items.push(ca);
  items.push(expiryItem(tls, ca.status !== 'FAIL', now, certificate, id('expiry'), label('cert validity')));
  return { items, certificate };
}

function caItem(tls: TlsContext, moment: Date, id: string, label: string): CheckItem {
  const s = tls.settings;
  const second = run(() => preflightTls(s, { now: moment, verifyPeer: tls.verifyPeer }));
  if (!second.ok && isDateError(second.message))
    return item(id, label, 'PASS', 'the certificate chains to the configured CA (see cert validity for the dates)');
  if (!second.ok) return item(id, label, 'FAIL', second.message);
  const warnings = second.result.warnings.filter((w) => !isExpiryNote(w));
  if (warnings.length > 0) return item(id, label, 'WARN', warnings.join(' '));
  if (s.caFile === undefined && s.caPath === undefined) {
    return item(
      id,
      label,
      'WARN',
      'no tca/tcapath (or ssl-ca/ssl-capath): the issuer is not checked here, and peers are verified against ' +
        'the system trust store',
    );
  }
  const issued = second.result.infos.find((i) => i.startsWith('Certificate issued by'));
  return item(id, label, 'PASS', issued ?? 'the certificate chains to the configured CA');
}

function expiryItem(
  tls: TlsContext,
  withCa: boolean,
  now: Date,
  cert: CertificateInfo,
  id: string,
  label: string,
): CheckItem {
  const settings = withCa ? tls.settings : { ...tls.settings, caFile: undefined, caPath: undefined };
  const third = run(() => preflightTls(settings, { now, verifyPeer: tls.verifyPeer }));
  if (!third.ok) return item(id, label, 'FAIL', third.message);
  const expiring = third.result.warnings.filter(isExpiryNote);
  if (expiring.length > 0) return item(id, label, 'WARN', expiring.join(' '));
  const days = Math.floor((cert.validTo.getTime() - now.getTime()) / DAY_MS);
  return item(id, label, 'PASS', `valid until ${cert.validTo.toISOString()} (${days} days left)`);
}

/** The joiner's certificate against the name a donor will verify (docs/protocol.md §5.2, §7.35). */
export function nameItem(tls: TlsContext, certificate: CertificateInfo, advertised: Advertised): CheckItem {
  const how = donorVerification(tls.settings.mode, !tls.verifyPeer, tls.sockopt, advertised);
  const names = describeNames(certificate);
  const label = 'cert name for donors';
  switch (how.kind) {
    case 'none':
      return item(
        'name',
        label,
        'WARN',
        `${how.why}; with verification they would check '${advertised.host}' (${advertised.source}) against ${names}`,
      );
    case 'chain':
      return item('name', label, 'PASS', `${how.why}; the certificate has ${names}`);
    case 'name':
      return certificateMatchesHost(certificate, how.name)
        ? item('name', label, 'PASS', `donors verify '${how.name}' (${how.why}): the certificate has ${names}`)
        : item(
            'name',
            label,
            'FAIL',
            `donors verify '${how.name}' (${how.why}), which the certificate does not name (${names}): ` +
              `reissue it with '${how.name}' in its subjectAltName, or advertise one of its names with ` +
              `wsrep_sst_receive_address`,
          );
  }
}
