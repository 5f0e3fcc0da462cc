// What the browser receives when a request fails its input check: plain field messages in
// `data.zodError`, one plain sentence as the message — never zod's issue list as JSON.
import { describe, expect, it } from "vitest";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Db } from "@mailwarden/db";
import { appRouter } from "./root";

async function post(path: string, input: unknown) {
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request(`http://localhost/api/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: input }),
    }),
    router: appRouter,
    // The input check fails before anything would touch the database.
    createContext: () => ({ prisma: {} as Db, userId: null, ip: null }),
  });
  return { status: response.status, text: await response.text() };
}

describe("the error formatter", () => {
  it("sends a failed input check as field messages and a plain sentence", async () => {
    const { status, text } = await post("auth.completeSetup", {
      token: "t",
      name: "",
      email: "not-an-address",
      password: "x".repeat(300),
    });
    expect(status).toBe(400);
    const body = JSON.parse(text) as {
      error: { json: { message: string; data: { zodError: { fieldErrors: Record<string, string[]> } } } };
    };
    expect(body.error.json.message).toBe("Enter your name.");
    expect(body.error.json.data.zodError.fieldErrors).toEqual({
      name: ["Enter your name."],
      email: ["Enter a valid email address."],
      password: ["At most 256 characters."],
    });
    expect(text).not.toContain("too_small");
    expect(text).not.toContain('\\"code\\"');
  });
});
