import { writeSync } from 'node:fs';

export type Level = 'INFO' | 'WARNING' | 'ERROR';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Upstream's timestamp: `YYYYMMDD HH:MM:SS.mmm`, local time. */
export function timestamp(d: Date): string {
  return (
    `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/**
 * One log line. Newlines inside a message would make mariadbd's error log
 * show fragments without our prefix, so they are folded into spaces.
 */
export function formatLogLine(level: Level, message: string, now: Date = new Date()): string {
  const flat = message.replace(/[\r\n]+/g, ' ').trimEnd();
  return `WSREP_SST: [${level}] ${flat} (${timestamp(now)})\n`;
}

function emit(level: Level, message: string): void {
  try {
    writeSync(2, formatLogLine(level, message));
  } catch {
    // stderr gone (mariadbd died): nothing left to tell, and the flow must still clean up.
  }
}

export const log = {
  info: (message: string): void => emit('INFO', message),
  warn: (message: string): void => emit('WARNING', message),
  error: (message: string): void => emit('ERROR', message),
};
