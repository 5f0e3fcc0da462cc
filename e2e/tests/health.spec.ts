// What a load balancer or supervisor asks the console process: /healthz answers 200 while the hub hears
// policy changes (its LISTEN connection is up), with the number of agents it holds.
import { expect, test } from "@playwright/test";

test("the console says it is healthy at /healthz, and how many agents it holds", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.status()).toBe(200);
  expect(response.headers()["cache-control"]).toBe("no-store");
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status: "ok", ok: true, listening: true, problem: null });
  expect(body.agents).toEqual(expect.any(Number));
  expect(body.pendingWrites).toEqual(expect.any(Number));
});
