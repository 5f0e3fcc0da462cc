// The console's first provider admin, shared by every journey. console.spec.ts creates it through the
// one-time setup link (there is only one) and enrolls its 2FA; the journeys that run after it (their
// Playwright project depends on console.spec's) sign in with it. A TOTP code is accepted once per 30 s
// window, so the last code used travels with the secret, in a file in the run's temp directory.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { signIn } from "./console";
import { nextWindowCode } from "./totp";

export const providerAdmin = {
  name: "Pat Provider",
  email: "pat@provider.example",
  password: "Sturdy-Console-Pass-81",
};

interface SecondFactor {
  totpSecret: string;
  lastCode: string | null;
}

const stateFile = () => path.join(process.env.MW_E2E_DIR!, "provider-admin-2fa.json");

export function saveSecondFactor(secondFactor: SecondFactor): void {
  writeFileSync(stateFile(), JSON.stringify(secondFactor), { mode: 0o600 });
}

function loadSecondFactor(): SecondFactor {
  return JSON.parse(readFileSync(stateFile(), "utf8")) as SecondFactor;
}

/** A fresh code of the provider admin's authenticator, never one used before. */
export async function nextProviderAdminCode(): Promise<string> {
  const secondFactor = loadSecondFactor();
  const code = await nextWindowCode(secondFactor.totpSecret, secondFactor.lastCode);
  saveSecondFactor({ ...secondFactor, lastCode: code });
  return code;
}

export async function signInAsProviderAdmin(page: Page): Promise<void> {
  await signIn(page, providerAdmin.email, providerAdmin.password);
  await page.getByLabel("Authentication code").fill(await nextProviderAdminCode());
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
}
