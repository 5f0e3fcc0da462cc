// SMTP AUTH credential check: the username is the mailbox address, the password is verified against
// the argon2id hash the hub pushed. Unknown users cost the same argon2 work as known ones, so response
// time does not reveal which mailboxes exist.
import argon2 from "argon2";
import type { WeakPasswords } from "../posture/weak-passwords";
import { findMailbox, type ActiveConfig } from "./active-config";

let dummyHash: Promise<string> | undefined;

function timingDummy(): Promise<string> {
  dummyHash ??= argon2.hash("mailwarden-timing-dummy", { type: argon2.argon2id });
  return dummyHash;
}

export type AuthResult =
  { ok: true; address: string } | { ok: false; reason: "unknown-user" | "bad-password" };

export async function verifyMailboxPassword(
  config: ActiveConfig,
  username: string,
  password: string,
  /** Row 14: a successful login's password is checked against the policy in force (SMTP and POP3). */
  weakPasswords?: WeakPasswords,
): Promise<AuthResult> {
  const mailbox = findMailbox(config, username.trim());
  if (!mailbox) {
    await argon2.verify(await timingDummy(), password).catch(() => false);
    return { ok: false, reason: "unknown-user" };
  }
  // A malformed hash from the hub is a refusal, not a crash.
  const matches = await argon2.verify(mailbox.passwordHash, password).catch(() => false);
  if (!matches) return { ok: false, reason: "bad-password" };
  weakPasswords?.checkLogin(config, mailbox.address, password);
  return { ok: true, address: mailbox.address };
}
