// Reads what the delivery worker put in a local mailbox, for tests that check what a user would find
// there (which message, which header on top).
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { maildirPath } from "../maildir/maildir";
import { waitFor } from "./fixtures";

export async function inboxMessages(stateDir: string, domain: string, localPart: string): Promise<string[]> {
  const dir = path.join(maildirPath(stateDir, { domain, localPart }), "new");
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map((name) => readFile(path.join(dir, name), "utf8")));
}

/** The inbox message containing `text`, once it has been delivered. */
export function deliveredMessage(
  stateDir: string,
  domain: string,
  localPart: string,
  text: string,
): Promise<string> {
  return waitFor(
    async () => (await inboxMessages(stateDir, domain, localPart)).find((message) => message.includes(text)),
    5000,
    `"${text}" in ${localPart}@${domain}`,
  );
}
