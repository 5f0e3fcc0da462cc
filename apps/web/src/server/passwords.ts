// Password hashing (argon2id) and the row-14 policy check, shared by console users and mailboxes.
import argon2 from "argon2";
import {
  checkPassword,
  describePasswordPolicy,
  type PasswordContext,
  type PasswordPolicy,
} from "@mailwarden/policy";
import { AppError } from "./errors";

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** Throws BAD_REQUEST listing every rule the password breaks. */
export function assertPasswordAllowed(password: string, policy: PasswordPolicy, ctx: PasswordContext): void {
  const problems = checkPassword(password, policy, ctx);
  if (problems.length > 0) {
    throw new AppError(
      "BAD_REQUEST",
      `Password rejected: ${problems.join(" ")} (Policy: ${describePasswordPolicy(policy)}.)`,
      problems,
    );
  }
}
