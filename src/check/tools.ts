/**
 * socat and rsync, judged by the SST's own finder (src/proc/tools.ts): what passes here is what
 * the SST uses, and what it refuses fails here with the SST's message.
 */
import { locateRsync, locateSocat, ToolError, type RsyncTool, type SocatTool, type Tool } from '../proc/tools';
import { item, type CheckItem, type Status } from './result';

export interface ToolCheck<T extends Tool> {
  item: CheckItem;
  /** Set when the tool is usable. */
  path?: string;
  tool?: T;
}

function toolItem<T extends Tool>(
  name: 'socat' | 'rsync',
  locate: () => T,
  judge: (t: T) => [Status, string],
): ToolCheck<T> {
  try {
    const tool = locate();
    const [status, detail] = judge(tool);
    return { item: item(name, name, status, detail), path: tool.path, tool };
  } catch (e) {
    if (!(e instanceof ToolError)) throw e;
    const advice =
      e.problem === 'missing' ? ` (nor in /usr/local/bin, /bin, /usr/bin, …): install the ${name} package` : '';
    return { item: item(name, name, 'FAIL', `${e.message}${advice}`) };
  }
}

/** A socat older than 1.7.4 works, but as a donor it cannot verify a joiner named by an IP SAN only. */
export function checkSocat(envPath = process.env.PATH): ToolCheck<SocatTool> {
  return toolItem(
    'socat',
    () => locateSocat(envPath),
    (t) => {
      const base = `socat ${t.version} (${t.path}), built with OpenSSL`;
      if (t.features.checksIpSan) return ['PASS', base];
      return [
        'WARN',
        `${base}; as a donor it checks only a joiner certificate's CN, not its subjectAltName IP entries: ` +
          `joiners advertised by IP address need CN=<that address> (socat 1.7.4 or later reads IP SANs)`,
      ];
    },
  );
}

export function checkRsync(envPath = process.env.PATH): ToolCheck<RsyncTool> {
  return toolItem(
    'rsync',
    () => locateRsync(envPath),
    (t) => ['PASS', `rsync ${t.version} (${t.path})`],
  );
}
