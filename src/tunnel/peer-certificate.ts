import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { describeCertificate, describeNames } from '../config/tls-preflight';

export interface PeerProbe {
  host: string;
  port: number;
  /** Certificate file (or key+certificate bundle) and key we present, as the tunnel does. */
  cert: string;
  key?: string;
}

/**
 * After socat refused the joiner's certificate, fetch that certificate once
 * more, without trusting it and without sending any data, so the error can
 * name what the joiner presented next to what we expected. Only for the
 * message: the data path never uses node:tls.
 */
export function peerCertificateNames(probe: PeerProbe, timeoutMs = 5000): Promise<string | undefined> {
  return new Promise((resolve) => {
    let certPem: string;
    let keyPem: string;
    try {
      certPem = readFileSync(probe.cert, 'utf8');
      keyPem = probe.key ? readFileSync(probe.key, 'utf8') : certPem;
    } catch {
      resolve(undefined);
      return;
    }
    const socket = connect({
      host: probe.host,
      port: probe.port,
      cert: certPem,
      key: keyPem,
      rejectUnauthorized: false,
      servername: undefined,
    });
    const done = (value: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('secureConnect', () => {
      const raw = socket.getPeerX509Certificate();
      done(raw instanceof X509Certificate ? describeNames(describeCertificate(raw)) : undefined);
    });
    socket.once('error', () => done(undefined));
  });
}
