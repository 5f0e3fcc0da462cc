// Every page of the console on a phone (390 px) and a tablet (768 px), as a provider admin sees it:
// nothing wider than the screen (the document never scrolls sideways), the actions at the end of a
// table's rows reachable by scrolling inside its card, no POLICY.md row numbers or revision numbers in
// the text, and a title per page. The long pages are tabs kept in the URL: a link or a reload opens the
// same tab, and the keyboard moves between them. An IDN domain is shown as its owner writes it, an
// unknown address answers a styled 404. Signs in as console.spec.ts's provider admin.
//
// MW_SCREENSHOTS=<dir> also saves a full-page screenshot of every page at 390, 768 and 1440 px.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import type { TestAgent } from "../support/agent";
import { addCustomer, addDomain, addMailbox, enrollServer, nav } from "../support/console";
import { signInAsProviderAdmin } from "../support/provider-admin";

const customer = "Responsive Co";
const domain = "bücher-e2e.test";
const server = "mx-responsive";
const workDir = process.env.MW_E2E_DIR ?? os.tmpdir();
const signedInState = path.join(workDir, "responsive-provider-admin.json");
const screenshotDir = process.env.MW_SCREENSHOTS;

const state: { agent?: TestAgent; customerId?: string; domainId?: string; serverId?: string } = {};

test.describe.configure({ mode: "serial" });
test.afterAll(async () => state.agent?.stop());

/** The id at the end of the current page's path (`/servers/<id>?tab=…`). */
const idOf = (page: Page) => new URL(page.url()).pathname.split("/").pop()!;

interface Route {
  path: string;
  /** Part of the page's title before " · Mailwarden". */
  title: string | RegExp;
  /** The tabs of a long page, by their id in the URL (the first is the bare URL). */
  tabs?: string[];
}

function consoleRoutes(): Route[] {
  return [
    { path: "/", title: "Overview" },
    { path: "/customers", title: "Customers" },
    { path: `/customers/${state.customerId}`, title: customer, tabs: ["domains", "users", "policy"] },
    { path: "/domains", title: "Domains" },
    {
      path: `/domains/${state.domainId}`,
      title: domain,
      tabs: ["mailboxes", "addresses", "policy", "dns", "mail"],
    },
    { path: "/servers", title: "Servers" },
    { path: `/servers/${state.serverId}`, title: server, tabs: ["overview", "policy", "queue", "blocks"] },
    { path: "/policy", title: "Policy" },
    { path: "/people", title: /People|Mailwarden/ },
    { path: "/logs", title: "Logs" },
    { path: "/logs/trace?messageId=nothing-here@e2e.test", title: "Logs" },
    { path: "/audit", title: "Audit log" },
    { path: "/account", title: "Account" },
    // Signed in with 2FA on, the enrollment page still has to fit (it may send the user on).
    { path: "/two-factor", title: /.+/ },
  ];
}

/** Pages of someone who is not signed in. */
const publicRoutes: Route[] = [
  { path: "/login", title: "Sign in" },
  { path: "/setup", title: /Set up Mailwarden/ },
  { path: "/reset-password", title: /.+/ },
  { path: "/no-such-page", title: "Page not found" },
];

const titleOf = (title: string | RegExp) =>
  typeof title === "string"
    ? `${title} · Mailwarden`
    : new RegExp(`${title.source}.* · Mailwarden|^Mailwarden$`);

/** What every page must hold at every width. */
async function checkPage(page: Page, label: string, width: number) {
  await expect(page.locator("h1").first()).toBeVisible();
  await expect(page.getByText(/^Loading/)).toHaveCount(0, { timeout: 15_000 });
  if (screenshotDir) {
    fs.mkdirSync(screenshotDir, { recursive: true });
    const name = `${label.replace(/[^a-z0-9]+/gi, "_").replace(/^_|_$/g, "") || "overview"}-${width}.png`;
    // The first 2,400 px: enough to judge a page, small enough to look at.
    const height = Math.min(2400, (await page.evaluate("document.documentElement.scrollHeight")) as number);
    await page.screenshot({ path: path.join(screenshotDir, name), clip: { x: 0, y: 0, width, height } });
  }

  // Evaluated in the page (a string: this package's TypeScript knows no DOM). `wide` names the
  // innermost elements that reach past the right edge, for the failure message.
  const { scrollWidth, innerWidth, wide } = (await page.evaluate(`(() => {
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .filter((el) => ![...el.children].some((child) => child.getBoundingClientRect().right > window.innerWidth + 0.5))
      .slice(0, 5)
      .map((el) => el.tagName.toLowerCase() + "." + String(el.className).slice(0, 80) + " «" + (el.textContent || "").trim().slice(0, 40) + "»");
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide };
  })()`)) as { scrollWidth: number; innerWidth: number; wide: string[] };
  expect
    .soft(scrollWidth, `${label} at ${width}px is ${scrollWidth}px wide: ${wide.join(" | ")}`)
    .toBeLessThanOrEqual(innerWidth);

  // Row actions: every button or link in the last cell of a table's first row can be scrolled to and
  // seen, inside its card (90 %: a scroll position is whole pixels, a button's edge may not be).
  const tables = page.locator("main table");
  for (const table of await tables.all()) {
    if (!(await table.isVisible())) continue;
    const actions = table.locator("tbody tr").first().locator("td").last().locator("button, a");
    for (const action of await actions.all()) {
      await action.scrollIntoViewIfNeeded();
      await expect.soft(action, `${label}: a row action at ${width}px`).toBeInViewport({ ratio: 0.9 });
    }
  }

  // Plain language: no policy row numbers, no revision numbers.
  const text = await page.locator("body").innerText();
  expect.soft(text, `${label} names a policy row`).not.toMatch(/\brow \d+\b/i);
  expect.soft(text, `${label} names a revision`).not.toMatch(/\br\d+\b/);
}

async function visitAll(browser: Browser, width: number) {
  const signedIn = await browser.newContext({
    storageState: signedInState,
    viewport: { width, height: 844 },
  });
  const page = await signedIn.newPage();
  for (const route of consoleRoutes()) {
    for (const tab of route.tabs ?? [null]) {
      const url = tab && tab !== route.tabs?.[0] ? `${route.path}?tab=${tab}` : route.path;
      await page.goto(url);
      await expect(page).toHaveTitle(titleOf(route.title));
      if (tab) await expect(page.getByRole("tab", { selected: true })).toBeVisible();
      await checkPage(page, tab ? `${route.path} ${tab}` : route.path, width);
    }
  }
  await signedIn.close();

  const anonymous = await browser.newContext({ viewport: { width, height: 844 } });
  const visitor = await anonymous.newPage();
  for (const route of publicRoutes) {
    await visitor.goto(route.path);
    await expect(visitor).toHaveTitle(titleOf(route.title));
    await checkPage(visitor, route.path, width);
  }
  await anonymous.close();
}

test("set-up: a customer with a user, an IDN domain with a mailbox and an alias, an enrolled server", async ({
  page,
}) => {
  await signInAsProviderAdmin(page);
  await addCustomer(page, customer);
  await addDomain(page, customer, domain);
  state.domainId = idOf(page);
  // Stored as punycode, shown as its owner writes it.
  await expect(page.getByRole("heading", { name: domain, exact: true })).toBeVisible();
  await expect(page).toHaveTitle(`${domain} · Mailwarden`);
  await addMailbox(page, domain, "info", "Quill-Harbor-Pass-63");
  await page.getByRole("tab", { name: "Aliases & lists" }).click();
  await page.getByRole("button", { name: "Add alias" }).click();
  const aliasDialog = page.getByRole("dialog", { name: `Add an alias to ${domain}` });
  await aliasDialog.getByLabel("Address").fill("office");
  await aliasDialog.getByLabel("Forwards to").fill("info");
  await aliasDialog.getByRole("button", { name: "Create alias" }).click();
  await expect(page.getByRole("cell", { name: `info@${domain}` })).toBeVisible();

  await nav(page, "Customers").click();
  await page.getByRole("link", { name: customer }).click();
  await page.waitForURL(/\/customers\/[^/?]+$/);
  state.customerId = idOf(page);
  await page.getByRole("tab", { name: "Users" }).click();
  await page.getByRole("button", { name: "Add user" }).click();
  const userDialog = page.getByRole("dialog", { name: /Add a user/ });
  await userDialog.getByLabel("Name").fill("Rhea Responsive");
  await userDialog.getByLabel("Email").fill("rhea@responsive-e2e.test");
  await userDialog.getByLabel("Role").selectOption("CUSTOMER_ADMIN");
  await userDialog.getByLabel("Initial password").fill("Lantern-Orchard-Pass-74");
  await page.getByRole("button", { name: "Add user" }).last().click();
  await expect(page.getByRole("cell", { name: /rhea@responsive-e2e\.test/ })).toBeVisible();

  state.agent = await enrollServer(page, customer, server, path.join(workDir, "agent-responsive"));
  await page.getByRole("link", { name: server }).click();
  await page.waitForURL(/\/servers\/[^/?]+$/);
  state.serverId = idOf(page);
  await page.context().storageState({ path: signedInState });
});

test("the server page's tabs live in the URL: links, reload and the keyboard", async ({ browser }) => {
  const context = await browser.newContext({ storageState: signedInState });
  const page = await context.newPage();
  await page.goto(`/servers/${state.serverId}`);
  await expect(page).toHaveTitle(`${server} · Mailwarden`);
  const tablist = page.getByRole("tablist", { name: `Sections of ${server}` });
  await expect(tablist.getByRole("tab")).toHaveText(["Overview & posture", "Policy", "Queue", "Blocks"]);
  await expect(tablist.getByRole("tab", { name: "Overview & posture" })).toHaveAttribute(
    "aria-selected",
    "true",
  );
  await expect(page.getByTestId("server-status")).toContainText("Online");
  await expect(page.getByRole("tabpanel")).toContainText("Applied");

  await tablist.getByRole("tab", { name: "Queue" }).click();
  await expect(page).toHaveURL(/\?tab=queue$/);
  await expect(page.getByTestId("queue-card")).toBeVisible();
  await page.reload();
  await expect(page.getByRole("tab", { name: "Queue" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("queue-card")).toBeVisible();

  // Arrow keys move to the next tab and open it; Home goes back to the first (the bare URL).
  await page.getByRole("tab", { name: "Queue" }).focus();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByRole("tab", { name: "Blocks" })).toBeFocused();
  await expect(page).toHaveURL(/\?tab=blocks$/);
  await page.keyboard.press("Home");
  await expect(page.getByRole("tab", { name: "Overview & posture" })).toHaveAttribute(
    "aria-selected",
    "true",
  );
  await expect(page).toHaveURL(new RegExp(`/servers/${state.serverId}$`));
  // The browser's Back returns to the tab before.
  await page.goBack();
  await expect(page.getByRole("tab", { name: "Blocks" })).toHaveAttribute("aria-selected", "true");

  // A link straight to a tab opens it.
  await page.goto(`/servers/${state.serverId}?tab=policy`);
  await expect(page.getByRole("tab", { name: "Policy" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("heading", { name: `Policy for ${server}` })).toBeVisible();
  await context.close();
});

test("an unknown address answers a styled 404 with the way back", async ({ browser }) => {
  const context = await browser.newContext({ storageState: signedInState });
  const page = await context.newPage();
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page).toHaveTitle("Page not found · Mailwarden");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Back to the overview" }).click();
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
  await context.close();
});

for (const width of [390, 768]) {
  test(`every page fits ${width} px, with its row actions reachable and no row or revision numbers`, async ({
    browser,
  }) => {
    await visitAll(browser, width);
  });
}

if (screenshotDir) {
  test("screenshots at 1440 px", async ({ browser }) => {
    await visitAll(browser, 1440);
  });
}
