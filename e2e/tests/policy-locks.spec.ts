// Inheritance with provider locks, in a real browser against the real console, hub and agent: a customer
// admin loosens a domain setting (confirmed, and an agent accepts unauthenticated mail); the provider
// propagates the default with a preview of what changes (the agent refuses that mail again); the
// provider locks the setting and the customer admin can no longer loosen it, in the UI or the API.
// It signs in as the provider admin console.spec.ts created (its Playwright project runs after that one).
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { enrollAndRunAgent, type TestAgent } from "../support/agent";
import { nav, savePolicy, signIn, signOut } from "../support/console";
import { sendMail } from "../support/smtp";
import { providerAdmin, signInAsProviderAdmin } from "../support/provider-admin";

const customerAdmin = {
  name: "Cam Customer",
  email: "cam@lock-e2e.test",
  password: "Customer-Admin-Pass-72",
};
const workDir = process.env.MW_E2E_DIR ?? os.tmpdir();
const state: { agent?: TestAgent } = {};

test.describe.configure({ mode: "serial" });
test.afterAll(async () => state.agent?.stop());

async function openDomainAsCustomerAdmin(page: Page) {
  await signIn(page, customerAdmin.email, customerAdmin.password);
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
  await nav(page, "Domains").click();
  await page.getByRole("link", { name: "lock-e2e.test" }).click();
  await page.waitForURL(/\/domains\/[^/?]+$/);
  await page.getByRole("tab", { name: "Policy" }).click();
}

const requireAuth = (page: Page) => page.getByRole("combobox", { name: /Require SMTP authentication/ });
const unauthenticated = (port: number, subject: string) =>
  sendMail({ port, from: "info@lock-e2e.test", to: "info@lock-e2e.test", subject });

test("set-up: a customer with its admin, a domain and an enrolled agent", async ({ page }) => {
  await signInAsProviderAdmin(page);

  await nav(page, "Customers").click();
  await page.getByRole("button", { name: "Add customer" }).first().click();
  await page.getByLabel("Customer name").fill("Lock Co");
  await page.getByRole("button", { name: "Create customer" }).click();
  await nav(page, "Domains").click();
  await page.getByRole("button", { name: "Add domain" }).first().click();
  await page.getByLabel("Customer").selectOption({ label: "Lock Co" });
  await page.getByLabel("Domain name").fill("lock-e2e.test");
  await page.getByRole("button", { name: "Add domain" }).last().click();
  await page.getByRole("link", { name: "lock-e2e.test" }).click();
  await page.getByRole("button", { name: "Add mailbox" }).click();
  const mailboxDialog = page.getByRole("dialog", { name: /Add a mailbox/ });
  await mailboxDialog.getByLabel("Address").fill("info");
  await mailboxDialog.getByLabel("Password").fill("Sturdy-Mailbox-Pass-55");
  await page.getByRole("button", { name: "Create mailbox" }).click();
  await expect(page.getByRole("cell", { name: "info@lock-e2e.test" })).toBeVisible();

  await nav(page, "Customers").click();
  await page.getByRole("link", { name: "Lock Co" }).click();
  await page.getByRole("tab", { name: "Users" }).click();
  await page.getByRole("button", { name: "Add user" }).click();
  // Scoped to the dialog: the customer page behind it has labelled policy fields too.
  const userDialog = page.getByRole("dialog", { name: /Add a user/ });
  await userDialog.getByLabel("Name").fill(customerAdmin.name);
  await userDialog.getByLabel("Email").fill(customerAdmin.email);
  await userDialog.getByLabel("Role").selectOption("CUSTOMER_ADMIN");
  await userDialog.getByLabel("Initial password").fill(customerAdmin.password);
  await page.getByRole("button", { name: "Add user" }).last().click();
  await expect(page.getByRole("cell", { name: new RegExp(customerAdmin.email) })).toBeVisible();

  await nav(page, "Servers").click();
  await page.getByRole("button", { name: "Add server" }).first().click();
  await page.getByLabel("Customer").selectOption({ label: "Lock Co" });
  await page.getByLabel("Server name").fill("mx-lock");
  await page.getByRole("button", { name: "Create and get command" }).click();
  const command = (await page.getByTestId("copy-install-command").textContent())!;
  const token = (await page.getByTestId("copy-enrollment-token").textContent())!.trim();
  const hubUrl = /--url (\S+)/.exec(command)![1]!;
  await page.getByRole("button", { name: "Done" }).click();
  state.agent = await enrollAndRunAgent(path.join(workDir, "agent-lock"), hubUrl, token);
  await expect(page.getByTestId("server-row-mx-lock")).toContainText("Applied", { timeout: 30_000 });
});

test("a customer admin loosens a domain setting, confirmed; the agent accepts unauthenticated mail", async ({
  page,
}) => {
  const agent = state.agent!;
  await openDomainAsCustomerAdmin(page);
  // Row 4 would refuse local-to-local mail without AUTH on its own: turn it off first (also a loosening).
  await page.getByRole("combobox", { name: /SMTP auth for local deliveries/ }).selectOption("off");
  await savePolicy(page);
  await page.getByRole("button", { name: "Loosen it" }).click();
  await expect(page.getByTestId("smtpAuthForLocalDeliveries-effective")).toHaveText("Off");
  await requireAuth(page).selectOption("off");
  await savePolicy(page);
  await expect(page.getByRole("dialog")).toContainText("Anyone could send mail");
  await page.getByRole("button", { name: "Loosen it" }).click();
  await expect(page.getByTestId("requireSmtpAuth-effective")).toHaveText("Off");
  await expect(page.getByTestId("setting-row-requireSmtpAuth")).toContainText("Set here");
  await expect(async () => {
    expect((await unauthenticated(agent.ports.inbound, "while auth is off")).responseCode).toBe(250);
  }).toPass({ timeout: 20_000 });
  await signOut(page);
});

test("the provider propagates the default after a preview, then locks it; the agent refuses again", async ({
  page,
}) => {
  const agent = state.agent!;
  await signInAsProviderAdmin(page);
  await nav(page, "Policy").click();
  await page.getByRole("button", { name: /Propagate to all domains… Require SMTP authentication/ }).click();
  const preview = page.getByTestId("propagation-preview");
  await expect(preview).toContainText("lock-e2e.test");
  await expect(preview.getByRole("row", { name: /lock-e2e\.test/ })).toContainText(/Lock Co\s*Off\s*On/);
  await page.getByRole("button", { name: "Apply to 1 domains" }).click();
  await expect(page.getByText("Propagated: 1 domain changed.")).toBeVisible();
  await expect(async () => {
    expect((await unauthenticated(agent.ports.inbound, "after propagation")).responseCode).toBe(530);
  }).toPass({ timeout: 20_000 });

  await page.getByRole("button", { name: "Lock Require SMTP authentication" }).click();
  await page
    .getByRole("dialog", { name: "Lock “Require SMTP authentication”?" })
    .getByRole("button", { name: "Lock it" })
    .click();
  await expect(page.getByTestId("requireSmtpAuth-lock")).toContainText(`Locked by ${providerAdmin.email}`);
  await signOut(page);
});

test("a customer admin cannot loosen the locked setting, in the UI or through the API", async ({
  page,
  request,
}) => {
  const agent = state.agent!;
  await openDomainAsCustomerAdmin(page);
  const domainId = new URL(page.url()).pathname.split("/").pop()!;
  await expect(page.getByTestId("requireSmtpAuth-lock")).toContainText(`Locked by ${providerAdmin.email}`);
  await expect(requireAuth(page).locator('option[value="off"]')).toBeDisabled();
  await expect(page.getByTestId("requireSmtpAuth-effective")).toHaveText("On");

  // The customer level shows the same lock.
  await page.getByRole("main").getByRole("link", { name: "Lock Co" }).click();
  // The domain page has a Policy tab too: wait for the customer page before choosing it.
  await page.waitForURL(/\/customers\/[^/?]+(\?|$)/);
  await page.getByRole("tab", { name: "Policy" }).click();
  await expect(page.getByRole("heading", { name: "Policy for Lock Co" })).toBeVisible();
  await expect(page.getByTestId("requireSmtpAuth-lock")).toBeVisible();
  await expect(requireAuth(page).locator('option[value="off"]')).toBeDisabled();

  // Around the UI, the API refuses it with the reason.
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const response = await request.post("/api/trpc/policy.updateDomain?batch=1", {
    headers: { cookie, "content-type": "application/json" },
    data: { "0": { json: { domainId, patch: { requireSmtpAuth: false }, confirmLoosening: true } } },
  });
  const body = await response.text();
  expect(body).toContain("FORBIDDEN");
  expect(body).toContain("Require SMTP authentication is locked by the provider");
  expect((await unauthenticated(agent.ports.inbound, "still locked")).responseCode).toBe(530);
});
