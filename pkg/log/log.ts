/**
 * Process log: one line per event on stderr, `time level component message`, so that
 * journald, `tsk server 2>&1 | grep kv` and test harnesses all read it the same way. Stdout is
 * left to command output (--print-config, tokens printed for the user).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

let threshold: LogLevel = 'info';
let sink: (line: string) => void = (line) => process.stderr.write(line);

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export function logLevel(): LogLevel {
  return threshold;
}

/** For tests: capture lines instead of writing to stderr. Returns the previous sink. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

function write(level: LogLevel, component: string, message: string): void {
  if (ORDER[level] < ORDER[threshold]) return;
  // Keep one event on one line even when a message carries an error's stack or a newline.
  const text = message.replace(/\n/g, '\\n');
  sink(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${component.padEnd(8)} ${text}\n`);
}

export function logger(component: string): Logger {
  return {
    debug: (m) => write('debug', component, m),
    info: (m) => write('info', component, m),
    warn: (m) => write('warn', component, m),
    error: (m) => write('error', component, m),
  };
}
