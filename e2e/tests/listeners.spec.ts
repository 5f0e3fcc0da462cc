// Which listeners a server's agent opens is a setting of the server: turning POP3 off in the console
// closes the agent's POP3 port (a client is refused) while SMTP keeps answering, and turning it back on
// opens it again — the card shows the port the agent reports each time.
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import type { TestAgent } from "../support/agent";
import { addCustomer, enrollServer, nav } from "../support/console";
import { signInAsProviderAdmin } from "../support/provider-admin";

const workDir = process.env.MW_E2E_DIR ?? os.tmpdir();
let agent: TestAgent | undefined;
test.afterAll(async () => agent?.stop());

/** Whether something accepts TCP connections on the loopback port. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

test("turning a listener off closes the agent's port, and on opens it again", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await addCustomer(page, "Listeners Client");
  agent = await enrollServer(page, "Listeners Client", "mx-listeners", path.join(workDir, "agent-listeners"));
  const { pop3, inbound } = agent.ports;
  await nav(page, "Servers").click();
  await page.getByRole("link", { name: "mx-listeners" }).click();
  const card = page.getByTestId("listeners-card");
  const pop3Row = card.getByRole("listitem").filter({ hasText: "POP3 with STLS" });
  await expect(pop3Row).toContainText(`Listening on port ${pop3}`, { timeout: 30_000 });
  expect(await isListening(pop3)).toBe(true);

  await card.getByLabel(/POP3 with STLS/).uncheck();
  await card.getByRole("button", { name: "Save listeners" }).click();
  await expect(async () => expect(await isListening(pop3)).toBe(false)).toPass({ timeout: 20_000 });
  expect(await isListening(inbound)).toBe(true);
  await expect(pop3Row).toContainText("Off", { timeout: 30_000 });

  await card.getByLabel(/POP3 with STLS/).check();
  await card.getByRole("button", { name: "Save listeners" }).click();
  await expect(async () => expect(await isListening(pop3)).toBe(true)).toPass({ timeout: 20_000 });
  await expect(pop3Row).toContainText(`Listening on port ${pop3}`, { timeout: 30_000 });

  await nav(page, "Audit log").click();
  await expect(page.getByTestId("audit-table")).toContainText(
    "Listeners of mx-listeners changed — turned off: POP3 with STLS",
  );
});
