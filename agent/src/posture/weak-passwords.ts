// Row 14: mailbox passwords that no longer meet the domain's password policy. A password is checked
// when it is set in the console, but the policy can be tightened later, and the console only keeps a
// hash. The agent sees the password at every SMTP AUTH and POP3 login, so it checks it there against
// the policy in force and reports the mailboxes whose last login used a weak password in the posture;
// the dashboard flags them. Nothing but the address and the reasons is kept.
import { checkPassword } from "@mailwarden/policy";
import { findDomain, splitAddress, type ActiveConfig } from "../smtp/active-config";

export interface WeakPassword {
  address: string;
  /** Why, in the words the console uses when a password is set. */
  problems: string[];
  /** ISO time of the login that showed it. */
  seenAt: string;
}

/** Mailboxes reported at most, so a posture stays small whatever happens. */
const MAX_REPORTED = 5000;

export class WeakPasswords {
  readonly #weak = new Map<string, WeakPassword>();

  /** After a successful login: remembers or forgets the mailbox by its password's strength. */
  checkLogin(config: ActiveConfig, address: string, password: string): void {
    const { localPart, domain } = splitAddress(address);
    const policy = findDomain(config, domain)?.policy.passwordPolicy;
    if (!policy) return;
    const problems = checkPassword(password, policy, { userName: localPart, domainName: domain });
    if (problems.length === 0) {
      this.#weak.delete(address);
      return;
    }
    this.#weak.delete(address);
    this.#weak.set(address, { address, problems, seenAt: new Date().toISOString() });
    if (this.#weak.size > MAX_REPORTED) this.#weak.delete(this.#weak.keys().next().value!);
  }

  list(): WeakPassword[] {
    return [...this.#weak.values()];
  }
}
