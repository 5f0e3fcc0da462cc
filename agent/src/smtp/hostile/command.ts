// What a command guard sees: one complete command line as smtp-server's parser cut it (without the
// line ending), its upper-cased command name, and whether it is a continuation line of an AUTH
// exchange (base64 data, no command name).
export interface CommandLine {
  line: Buffer;
  /** Upper-cased first word; "" for AUTH continuation lines. */
  name: string;
  isAuthContinuation: boolean;
}

export function commandName(line: Buffer): string {
  const text = line.toString("latin1").trimStart();
  const end = text.search(/\s/);
  return (end === -1 ? text : text.slice(0, end)).toUpperCase();
}
