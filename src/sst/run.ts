import type { SstArgs } from '../cli/args';
import { Exit, SstError } from '../errors';

export async function runSst(args: SstArgs): Promise<number> {
  throw new SstError(Exit.FAILED, `role ${args.role} is not implemented yet`);
}
