// Row 14 — the password policy, checked wherever a mailbox or console password is set. Returns every
// reason a password fails, in words a user can act on.
import type { PasswordPolicy } from "./schema";
import { commonPasswords } from "./common-passwords";

export interface PasswordContext {
  /** The user's login or local part (e.g. "alice" of alice@example.com). */
  userName?: string;
  domainName?: string;
}

export function checkPassword(password: string, policy: PasswordPolicy, ctx: PasswordContext = {}): string[] {
  const problems: string[] = [];
  if (password.length < policy.minLength) problems.push(`Use at least ${policy.minLength} characters.`);
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < policy.minClasses) {
    problems.push(
      `Mix at least ${policy.minClasses} of: lowercase, uppercase, digits, symbols (this has ${classes}).`,
    );
  }
  if (policy.forbidUserOrDomainName) {
    const lower = password.toLowerCase();
    const names = [ctx.userName, ctx.domainName?.split(".")[0]].filter(
      (n): n is string => typeof n === "string" && n.length >= 3,
    );
    for (const name of names) {
      if (lower.includes(name.toLowerCase())) problems.push(`Must not contain "${name}".`);
    }
  }
  if (policy.forbidCommon && commonPasswords.has(password.toLowerCase())) {
    problems.push("This password is on the list of commonly used passwords.");
  }
  return problems;
}

export function describePasswordPolicy(policy: PasswordPolicy): string {
  const parts = [`at least ${policy.minLength} characters`, `${policy.minClasses} of 4 character classes`];
  if (policy.forbidUserOrDomainName) parts.push("not containing the user or domain name");
  if (policy.forbidCommon) parts.push("not a common password");
  return parts.join(", ");
}
