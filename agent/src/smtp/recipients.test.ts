// Alias expansion as the queue sees it: targets flattened and deduplicated, loops and chains deeper than
// MAX_ALIAS_DEPTH cut, the catch-all only where it is set, and a relayed domain's addresses left as they
// came for the server behind a backup MX or gateway; a mailing list only as the envelope recipient itself.
import { defaultPolicy } from "@mailwarden/policy";
import { describe, expect, it } from "vitest";
import { agentConfig } from "../test-support/fixtures";
import { compileConfig, type ActiveConfig } from "./active-config";
import { expandRecipient } from "./recipients";

function compiled(input: ReturnType<typeof agentConfig>): ActiveConfig {
  const result = compileConfig(1, input);
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.active;
}

const chain = Object.fromEntries(
  Array.from({ length: 7 }, (_, step) => [`a${step}`, [`a${step + 1}@example.test`, `m${step}@remote.test`]]),
);
const config = compiled(
  agentConfig([
    {
      name: "example.test",
      mailboxes: { alice: "h" },
      aliases: {
        ...chain,
        both: ["alice@example.test", "Alice@example.test", "x@remote.test"],
        ping: ["pong@example.test"],
        pong: ["ping@example.test"],
      },
    },
  ]),
);
const describeTargets = (address: string, active = config) =>
  expandRecipient(active, address).map((target) =>
    target.kind === "local" ? `local:${target.mailbox.address}` : `remote:${target.address}`,
  );

describe("expandRecipient", () => {
  it("flattens an alias into local and remote targets, each once", () => {
    expect(describeTargets("both@example.test")).toEqual([
      "local:alice@example.test",
      "remote:x@remote.test",
    ]);
  });

  it("stops at loops and after five levels of aliases", () => {
    expect(describeTargets("ping@example.test")).toEqual([]);
    expect(describeTargets("a0@example.test").sort()).toEqual(
      [0, 1, 2, 3, 4].map((step) => `remote:m${step}@remote.test`),
    );
  });

  it("leaves a relayed domain's aliases to the server behind a backup MX", () => {
    const relayed = compiled(
      agentConfig(
        [{ name: "example.test", mailboxes: { alice: "h" }, aliases: { both: ["alice@example.test"] } }],
        {
          serverRole: {
            ...defaultPolicy.serverRole,
            role: "backup-mx",
            relayHost: "primary.example.test",
            backupDomains: ["example.test"],
          },
        },
      ),
    );
    expect(describeTargets("both@example.test", relayed)).toEqual(["remote:both@example.test"]);
  });
});

describe("expandRecipient: mailing lists (row 22)", () => {
  const withList = compiled(
    agentConfig([
      {
        name: "example.test",
        mailboxes: { alice: "h", bob: "h" },
        aliases: { tolist: ["team@example.test"] },
        mailingLists: [
          {
            localPart: "team",
            name: "Team",
            posting: null,
            members: ["alice@example.test", "Bob@Example.test", "x@remote.test", "team@example.test"],
            moderators: [],
            resumes: [],
          },
          {
            localPart: "outer",
            name: "",
            posting: null,
            members: ["team@example.test"],
            moderators: [],
            resumes: [],
          },
        ],
      },
    ]),
  );

  it("expands a list to its members, each once, never to itself", () => {
    expect(describeTargets("team@example.test", withList)).toEqual([
      "local:alice@example.test",
      "local:bob@example.test",
      "remote:x@remote.test",
    ]);
  });

  it("a list reached through an alias or another list leads nowhere (it would skip the posting check)", () => {
    expect(describeTargets("tolist@example.test", withList)).toEqual([]);
    expect(describeTargets("outer@example.test", withList)).toEqual([]);
  });

  it("leaves a relayed domain's list and its bounce address to the server behind an incoming gateway", () => {
    const relayed = compiled(
      agentConfig(
        [
          {
            name: "example.test",
            mailingLists: [
              {
                localPart: "team",
                name: "",
                posting: null,
                members: ["a@remote.test"],
                moderators: [],
                resumes: [],
              },
            ],
          },
        ],
        { serverRole: { role: "incoming-gateway", relayHost: "inside.example.test", backupDomains: [] } },
      ),
    );
    expect(describeTargets("team@example.test", relayed)).toEqual(["remote:team@example.test"]);
    // its bounce reports too: the server behind counts them
    expect(describeTargets("team-bounces@example.test", relayed)).toEqual([
      "remote:team-bounces@example.test",
    ]);
  });

  it("does not expand a served list's bounce address (bounce reports are read, not delivered)", () => {
    expect(describeTargets("team-bounces@example.test", withList)).toEqual([]);
  });
});
