/**
 * Resolves on the first SIGINT, SIGTERM or SIGHUP: the way an operator ends `check --listen`
 * early. Handling them also keeps Node from dying at once, so check's socat groups are still
 * killed on the way out.
 */
export function stopSignal(): { promise: Promise<NodeJS.Signals>; dispose: () => void } {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let handler: (s: NodeJS.Signals) => void = () => undefined;
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    handler = (s) => resolve(s);
  });
  for (const s of signals) process.on(s, handler);
  const dispose = (): void => {
    for (const s of signals) process.off(s, handler);
  };
  return { promise, dispose };
}
