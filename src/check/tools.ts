/**
 * socat and rsync, judged by the SST's own finder (src/proc/tools.ts): what passes here is what
 * the SST uses, and what it refuses fails here with the SST's message.
 */
import { locateRsync, locateSocat, ToolError, type Tool } from '../proc/tools';
import { item, type CheckItem } from './result';

export interface ToolCheck {
  item: CheckItem;
  /** Set when the tool is usable. */
  path?: string;
}

function toolItem(name: 'socat' | 'rsync', locate: () => Tool, describe: (t: Tool) => string): ToolCheck {
  try {
    const tool = locate();
    return { item: item(name, name, 'PASS', describe(tool)), path: tool.path };
  } catch (e) {
    if (!(e instanceof ToolError)) throw e;
    const advice = e.problem === 'missing' ? ` (nor in /usr/local/bin, /bin, /usr/bin, …): install the ${name} package` : '';
    return { item: item(name, name, 'FAIL', `${e.message}${advice}`) };
  }
}

export function checkSocat(envPath = process.env.PATH): ToolCheck {
  return toolItem('socat', () => locateSocat(envPath), (t) => `socat ${t.version} (${t.path}), built with OpenSSL`);
}

export function checkRsync(envPath = process.env.PATH): ToolCheck {
  return toolItem('rsync', () => locateRsync(envPath), (t) => `rsync ${t.version} (${t.path})`);
}
