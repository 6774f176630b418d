import type { SstArgs } from '../config/args';
import { Exit } from '../errors';
import { log } from '../log';
import { startGuard } from '../proc/guard';
import { identityText, selfStartTime } from '../proc/identity';
import { Lifecycle } from '../proc/lifecycle';
import { createPrivateDir, dirIdentity, ownerHere, removePrivateDir } from '../proc/private-dir';
import { readStdinAuth } from '../protocol/stdin';
import { quietSocatLine } from '../tunnel/socat-messages';
import { PROGRAM, VERSION } from '../version';
import { runDonor } from './donor';
import { runJoiner } from './joiner';

const DONOR_STDIN_WAIT_MS = 30_000;

/** Runs one role; whatever happens, every child is stopped and our files are removed before we return. */
export async function runSst(args: SstArgs): Promise<number> {
  const ownerTag = identityText(process.pid, selfStartTime());
  // Before the guard: it removes this directory, should we be killed before our cleanup could.
  const work = createPrivateDir();
  const workOwner = ownerHere(dirIdentity(work));
  startGuard(ownerTag, work);
  const life = new Lifecycle({ ownerTag, quiet: quietSocatLine });
  life.onCleanup(() => {
    const removal = removePrivateDir(work, workOwner);
    if (!removal.removed && !removal.gone) log.warn(`left ${work}: ${removal.why}`);
  });
  // 11.8 donors write the joiner's secret to stdin only after creating a temporary SQL user, and
  // then close it; the donor waits only when the environment did not carry the secret.
  const stdinAuth = readStdinAuth(args.role === 'donor' ? DONOR_STDIN_WAIT_MS : undefined);
  log.info(`${PROGRAM} ${VERSION} starting as ${args.role} (PID ${process.pid}), address ${args.address.replace(/^.*@/, '')}, datadir ${args.datadir}`);
  const started = Date.now();
  try {
    if (args.role === 'joiner') await runJoiner(args, life, work);
    else await runDonor(args, life, stdinAuth, work);
    log.info(`${args.role} finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return Exit.OK;
  } finally {
    await life.shutdown();
  }
}
