// The main journey of a hosting provider, in a real browser against the real console, hub, agent and
// SMTP listeners: first-run setup → 2FA → customer, domain, mailbox → server enrollment → Online →
// a domain policy change enforced on real SMTP sessions → the audit log shows who did it. Then the
// recovery-code path, and a domain admin of another customer who sees nothing of this one. (The lockout
// of this admin is lockout.spec.ts, run after every other journey.)
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { enrollAndRunAgent, maildirMessages, type TestAgent } from "../support/agent";
import { nav, savePolicy, signIn, signOut } from "../support/console";
import { sendMail } from "../support/smtp";
import { providerAdmin, saveSecondFactor, signInAsProviderAdmin } from "../support/provider-admin";
import { totpCode } from "../support/totp";

// The one provider admin of the run: created here, signed in with by the journeys that run after this file.
const admin = providerAdmin;
const mailboxPassword = "Mailbox-Strong-Pass-93";
const workDir = process.env.MW_E2E_DIR ?? os.tmpdir();

const state: { totpSecret: string; lastCode: string | null; recoveryCodes: string[]; agent?: TestAgent } = {
  totpSecret: "",
  lastCode: null,
  recoveryCodes: [],
};

test.describe.configure({ mode: "serial" });
test.afterAll(async () => state.agent?.stop());

async function signInWith2fa(page: Page) {
  await signInAsProviderAdmin(page);
}

test("first-run setup, forced 2FA enrollment, and recovery codes", async ({ page }) => {
  await page.goto(`/setup?token=wrong-token-value`);
  await expect(page.getByText("This setup link is invalid or expired")).toBeVisible();

  await page.goto(`/setup?token=${process.env.MW_E2E_SETUP_TOKEN}`);
  // The setup form (it works once, so forms.spec.ts cannot reach it): empty, malformed and too long
  // input get plain messages under their fields.
  await page.getByRole("button", { name: "Create provider admin" }).click();
  await expect(page.getByText("Enter your name.")).toBeVisible();
  await expect(page.getByText("Enter an email address.")).toBeVisible();
  await expect(page.getByText("Enter a password.")).toBeVisible();
  await page.getByLabel("Email").fill("pat-at-provider");
  await expect(page.getByText("Enter a valid email address.")).toBeVisible();
  await page.getByLabel("Your name").evaluate((input) => input.removeAttribute("maxlength"));
  await page.getByLabel("Your name").fill("x".repeat(300));
  await expect(page.getByText("At most 100 characters.")).toBeVisible();
  expect(await page.locator("body").innerText()).not.toMatch(/\{"|"code":|too_small|invalid_format/);
  await page.getByLabel("Your name").fill(admin.name);
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill("short");
  await expect(page.getByTestId("password-problems")).toContainText("at least 12 characters");
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Create provider admin" }).click();
  await expect(page).toHaveURL(/\/login/);

  // The setup link works once.
  await page.goto(`/setup?token=${process.env.MW_E2E_SETUP_TOKEN}`);
  await expect(page.getByText("Mailwarden is already set up")).toBeVisible();

  await signIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/two-factor/);
  const secret = (await page.getByTestId("totp-secret").textContent())!.trim();
  state.totpSecret = secret;
  // The code of the first load still works after a reload: the pending secret is kept server-side.
  const firstLoadCode = totpCode(secret);
  await page.reload();
  await expect(page.getByTestId("totp-secret")).toHaveText(secret);
  await page.getByLabel("Authentication code").fill("000000");
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  await expect(page.getByText("That code does not match this QR code")).toBeVisible();
  await page.getByLabel("Authentication code").fill("12345");
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  await expect(page.getByText("Enter the 6 digits your authenticator app shows")).toBeVisible();
  state.lastCode = firstLoadCode;
  await page.getByLabel("Authentication code").fill(state.lastCode);
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  saveSecondFactor({ totpSecret: secret, lastCode: state.lastCode });
  const codes = page.getByTestId("recovery-codes").locator("li");
  await expect(codes).toHaveCount(10);
  await expect(page.getByRole("heading", { name: "Two-factor authentication is on" })).toBeVisible();
  state.recoveryCodes = await codes.allTextContents();
  await page.getByRole("button", { name: /I saved them/ }).click();
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();

  // Until 2FA was on, the API refused tenant data; now a fresh sign-in needs the code.
  await signOut(page);
  await signIn(page, admin.email, admin.password);
  await expect(page.getByText("Enter the 6-digit code")).toBeVisible();
});

test("a recovery code signs in once only", async ({ page }) => {
  const code = state.recoveryCodes[0]!;
  for (const attempt of [1, 2]) {
    await signIn(page, admin.email, admin.password);
    await page.getByRole("button", { name: /Use a recovery code/ }).click();
    await page.getByLabel("Recovery code").fill(code);
    await page.getByRole("button", { name: "Verify and sign in" }).click();
    if (attempt === 1) {
      await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
      await signOut(page);
    } else {
      await expect(page.getByText("That recovery code is not valid or was already used.")).toBeVisible();
    }
  }
});

test("customer, domain, mailbox, server enrollment, and a domain policy enforced on real SMTP", async ({
  page,
}) => {
  await signInWith2fa(page);

  await nav(page, "Customers").click();
  await expect(page.getByText("No customers yet")).toBeVisible();
  await page.getByRole("button", { name: "Add customer" }).first().click();
  await page.getByLabel("Customer name").fill("Acme Hosting Client");
  await page.getByRole("button", { name: "Create customer" }).click();
  await expect(page.getByRole("link", { name: "Acme Hosting Client" })).toBeVisible();

  await nav(page, "Domains").click();
  await page.getByRole("button", { name: "Add domain" }).first().click();
  await page.getByLabel("Customer").selectOption({ label: "Acme Hosting Client" });
  await page.getByLabel("Domain name").fill("not a domain");
  await page.getByRole("button", { name: "Add domain" }).last().click();
  await expect(page.getByText("Enter a domain name like example.com.")).toBeVisible();
  await page.getByLabel("Domain name").fill("acme-e2e.test");
  await page.getByRole("button", { name: "Add domain" }).last().click();
  await page.getByRole("link", { name: "acme-e2e.test" }).click();

  await page.getByRole("button", { name: "Add mailbox" }).click();
  const mailboxDialog = page.getByRole("dialog", { name: /Add a mailbox/ });
  await mailboxDialog.getByLabel("Address").fill("alice");
  await mailboxDialog.getByLabel("Password").fill("alice-weak");
  await page.getByRole("button", { name: "Create mailbox" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Password rejected" })).toBeVisible();
  await mailboxDialog.getByLabel("Password").fill(mailboxPassword);
  await page.getByRole("button", { name: "Create mailbox" }).click();
  await expect(page.getByRole("cell", { name: "alice@acme-e2e.test" })).toBeVisible();

  await nav(page, "Servers").click();
  await page.getByRole("button", { name: "Add server" }).first().click();
  await page.getByLabel("Customer").selectOption({ label: "Acme Hosting Client" });
  await page.getByLabel("Server name").fill("mx1-acme");
  await page.getByRole("button", { name: "Create and get command" }).click();
  const command = (await page.getByTestId("copy-install-command").textContent())!;
  const token = (await page.getByTestId("copy-enrollment-token").textContent())!.trim();
  expect(command).toContain(`--token ${token}`);
  const hubUrl = /--url (\S+)/.exec(command)![1]!;
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("server-row-mx1-acme")).toContainText("Waiting for enrollment");

  state.agent = await enrollAndRunAgent(path.join(workDir, "agent-mx1"), hubUrl, token);
  const agent = state.agent;
  await expect(page.getByTestId("server-row-mx1-acme")).toContainText("Online", { timeout: 30_000 });
  await expect(page.getByTestId("server-row-mx1-acme")).toContainText("Applied", { timeout: 30_000 });

  // Turn "Require SMTP authentication" off for the domain (a loosening: confirmed) — unauthenticated
  // mail from the domain is accepted on the inbound listener.
  await nav(page, "Domains").click();
  await page.getByRole("link", { name: "acme-e2e.test" }).click();
  await page.getByRole("tab", { name: "Policy" }).click();
  // Row 4 alone refuses local-to-local mail without AUTH: turn it off first (a loosening too).
  await page.getByRole("combobox", { name: /SMTP auth for local deliveries/ }).selectOption("off");
  await savePolicy(page);
  await page.getByRole("button", { name: "Loosen it" }).click();
  await expect(page.getByTestId("smtpAuthForLocalDeliveries-effective")).toHaveText("Off");
  await page.getByRole("combobox", { name: /Require SMTP authentication/ }).selectOption("off");
  await savePolicy(page);
  await expect(page.getByRole("dialog")).toContainText("Anyone could send mail");
  await page.getByRole("button", { name: "Loosen it" }).click();
  await expect(page.getByTestId("requireSmtpAuth-effective")).toHaveText("Off");
  const unauthenticated = {
    port: agent.ports.inbound,
    from: "alice@acme-e2e.test",
    to: "alice@acme-e2e.test",
  };
  await expect(async () => {
    const result = await sendMail({ ...unauthenticated, subject: "while auth is off" });
    expect(result.responseCode).toBe(250);
  }).toPass({ timeout: 20_000 });

  // Switch it on: the agent now refuses the same unauthenticated mail with 530.
  await page.getByRole("combobox", { name: /Require SMTP authentication/ }).selectOption("on");
  await savePolicy(page);
  await expect(page.getByTestId("requireSmtpAuth-effective")).toHaveText("On");
  await expect(async () => {
    const result = await sendMail({ ...unauthenticated, subject: "should be refused" });
    expect(result.responseCode).toBe(530);
  }).toPass({ timeout: 20_000 });

  // An authenticated submission over STARTTLS is accepted and lands in the Maildir.
  const accepted = await sendMail({
    port: agent.ports.submission,
    auth: { user: "alice@acme-e2e.test", pass: mailboxPassword },
    from: "alice@acme-e2e.test",
    to: "alice@acme-e2e.test",
    subject: "authenticated hello",
  });
  expect(accepted.responseCode).toBe(250);
  // The 250 means it is durably queued; the delivery worker writes it to the Maildir right after.
  await expect(() =>
    expect(
      maildirMessages(agent.stateDir, "acme-e2e.test", "alice").some((m) =>
        m.includes("Subject: authenticated hello"),
      ),
    ).toBe(true),
  ).toPass({ timeout: 10_000 });
  const delivered = maildirMessages(agent.stateDir, "acme-e2e.test", "alice");
  expect(delivered.some((m) => m.includes("Subject: should be refused"))).toBe(false);

  // The audit log shows who changed what.
  await nav(page, "Audit log").click();
  await page.getByLabel("Event type").selectOption({ label: "policy changed" });
  const table = page.getByTestId("audit-table");
  await expect(table).toContainText(
    "Policy of acme-e2e.test changed — Require SMTP authentication: Off → On",
  );
  await expect(table).toContainText(admin.email);
});

test("a domain admin of another customer sees nothing of the first, in the UI or the API", async ({
  page,
  request,
}) => {
  await signInWith2fa(page);
  await nav(page, "Customers").click();
  await page.getByRole("button", { name: "Add customer" }).first().click();
  await page.getByLabel("Customer name").fill("Bravo Other Client");
  await page.getByRole("button", { name: "Create customer" }).click();
  await nav(page, "Domains").click();
  await page.getByRole("button", { name: "Add domain" }).first().click();
  await page.getByLabel("Customer").selectOption({ label: "Bravo Other Client" });
  await page.getByLabel("Domain name").fill("bravo-e2e.test");
  await page.getByRole("button", { name: "Add domain" }).last().click();
  await expect(page.getByRole("link", { name: "bravo-e2e.test" })).toBeVisible();
  await page.getByRole("link", { name: "acme-e2e.test" }).click();
  await page.waitForURL(/\/domains\/[^/?]+$/);
  const acmeDomainUrl = page.url();
  const acmeDomainId = acmeDomainUrl.split("/").pop()!;

  await nav(page, "Customers").click();
  await page.getByRole("link", { name: "Bravo Other Client" }).click();
  await page.getByRole("tab", { name: "Users" }).click();
  await page.getByRole("button", { name: "Add user" }).click();
  // Scoped to the dialog: the customer page behind it has labelled policy fields too.
  const userDialog = page.getByRole("dialog", { name: /Add a user/ });
  await userDialog.getByLabel("Name").fill("Dana Domainadmin");
  await userDialog.getByLabel("Email").fill("dana@bravo-e2e.test");
  await userDialog.getByLabel("Role").selectOption("DOMAIN_ADMIN");
  await userDialog.getByLabel("bravo-e2e.test").check();
  await userDialog.getByLabel("Initial password").fill("Bravo-Domain-Pass-57");
  await page.getByRole("button", { name: "Add user" }).last().click();
  await expect(page.getByRole("cell", { name: /dana@bravo-e2e.test/ })).toBeVisible();
  await signOut(page);

  await signIn(page, "dana@bravo-e2e.test", "Bravo-Domain-Pass-57");
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
  await expect(nav(page, "Customers")).toHaveCount(0);
  await nav(page, "Domains").click();
  await expect(page.getByRole("link", { name: "bravo-e2e.test" })).toBeVisible();
  await expect(page.getByText("acme-e2e.test")).toHaveCount(0);
  await page.goto(acmeDomainUrl);
  await expect(page.getByText("Domain not found.")).toBeVisible();
  await expect(page.getByText("alice@acme-e2e.test")).toHaveCount(0);

  // The API, with Dana's session cookie, answers NOT_FOUND and leaks nothing.
  const cookies = await page.context().cookies();
  const cookieHeader = cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  const input = encodeURIComponent(JSON.stringify({ "0": { json: { domainId: acmeDomainId } } }));
  const response = await request.get(`/api/trpc/domain.get?batch=1&input=${input}`, {
    headers: { cookie: cookieHeader },
  });
  const body = await response.text();
  expect(body).toContain("NOT_FOUND");
  expect(body).not.toContain("acme-e2e.test");
  const list = await request.get(
    `/api/trpc/domain.list?batch=1&input=${encodeURIComponent(JSON.stringify({ "0": { json: {} } }))}`,
    {
      headers: { cookie: cookieHeader },
    },
  );
  const listBody = await list.text();
  expect(listBody).toContain("bravo-e2e.test");
  expect(listBody).not.toContain("acme-e2e.test");
});
