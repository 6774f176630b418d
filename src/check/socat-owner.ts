/**
 * The owner of check's socat processes. Each leads its own process group (socat's per-connection
 * children and their EXEC child die with it), and every group is SIGKILLed on our way out,
 * including a failed assertion's or an operator's Ctrl-C. KILL and not TERM: these processes hold
 * no data to flush, and socat 1.7.4 can hang in its SIGTERM handler (src/tunnel/socat-address.ts).
 * A SIGKILLed check runs none of that: as for an SST, a guard (src/proc/guard.ts) then kills what
 * carries our owner tag, so no listener of ours is left holding the node's SST port.
 */
import { startGuard } from '../proc/guard';
import { hostProcess, type HostProcess } from '../proc/host';
import { identityText, selfStartTime } from '../proc/identity';
import { Supervisor } from '../proc/supervisor';

export interface SocatOwner {
  /** The supervisor, made (and the guard started) on first use: a check that spawns nothing starts neither. */
  supervisor(): Supervisor;
  /** Removes the exit hook; the program exits right after its check and needs no disposal, tests do. */
  dispose(): void;
}

/** A guard for our owner tag, and a supervisor that tags every child with it. */
function guardedSupervisor(): Supervisor {
  const ownerTag = identityText(process.pid, selfStartTime());
  startGuard(ownerTag);
  return new Supervisor({ ownerTag });
}

/** `host`: where the exit hook goes; `make`: the supervisor (tests pass one over fake children). */
export function socatOwner(host: HostProcess = hostProcess, make: () => Supervisor = guardedSupervisor): SocatOwner {
  let owner: Supervisor | undefined;
  const onExit = (): void => owner?.killAllNow();
  return {
    supervisor(): Supervisor {
      if (owner === undefined) {
        owner = make();
        host.on('exit', onExit);
      }
      return owner;
    },
    dispose(): void {
      if (owner !== undefined) host.off('exit', onExit);
    },
  };
}
