import { Exit, SstError } from '../errors';

/** The completion marker's content (docs/protocol.md §3.5): state, then optional tags. */
export interface Marker {
  /** `UUID:seqno[ domain]`: what the joiner prints as its final line. */
  state: string;
  secret?: string;
  bypass: boolean;
}

const STATE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}:-?\d+( \d+)?$/;

export function isState(line: string): boolean {
  return STATE.test(line);
}

export function renderMarker(m: Marker): string {
  return [m.state, ...(m.secret ? [`secret ${m.secret}`] : []), ...(m.bypass ? ['bypass'] : [])]
    .map((l) => `${l}\n`)
    .join('');
}

/**
 * A marker whose first line is not a state would make mariadbd fail to parse
 * our final line; refusing it here gives the operator the real reason. The
 * refused line is not quoted: whatever is in the file must not reach the log.
 */
export function parseMarker(text: string): Marker {
  const lines = text.split('\n').map((l) => l.trim());
  const state = lines[0] ?? '';
  if (!isState(state)) {
    throw new SstError(
      Exit.ABORTED,
      `the completion marker does not start with UUID:seqno (its first line has ${state.length} characters)`,
    );
  }
  const secretLine = lines.find((l) => l.startsWith('secret '));
  return {
    state,
    secret: secretLine?.slice('secret '.length).trim(),
    bypass: lines.includes('bypass'),
  };
}
