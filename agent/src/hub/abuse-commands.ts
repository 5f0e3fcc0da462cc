// The dashboard's abuse-block commands (row 21; hub.command, PROTOCOL.md "Commands") turned into calls on
// the agent's abuse detection: list the blocks in the protocol's bounded shape, lift the named ones and
// say which were no longer in force. The blocks themselves live in ../ids, which also records each lift
// in the mail log (issue 13); the answer waits for that record.
import {
  abuseListResultSchema,
  MAX_ABUSE_BLOCKS,
  type AbuseLiftResult,
  type HubCommand,
} from "@mailwarden/protocol";
import type { AbuseDetection } from "../ids/abuse-detection";
import type { CommandOutcome } from "./queue-commands";

export type AbuseCommand = Extract<HubCommand, { type: `abuse.${string}` }>;

export function isAbuseCommand(command: HubCommand): command is AbuseCommand {
  return command.type.startsWith("abuse.");
}

export async function runAbuseCommand(
  abuse: Pick<AbuseDetection, "list" | "lift" | "flush">,
  command: AbuseCommand,
): Promise<CommandOutcome> {
  switch (command.type) {
    case "abuse.list":
      return { ok: true, result: listAbuseBlocks(abuse) };
    case "abuse.lift": {
      const result: AbuseLiftResult = { done: [], missing: [] };
      for (const id of new Set(command.ids)) (abuse.lift(id) ? result.done : result.missing).push(id);
      // The console hears "lifted" only once the lifts are saved and in the mail log (abuse.lifted).
      if (result.done.length > 0) await abuse.flush();
      return { ok: true, result };
    }
  }
}

/** The blocks in force, newest first, as many as the protocol carries. */
export function listAbuseBlocks(abuse: Pick<AbuseDetection, "list">) {
  const blocks = abuse
    .list()
    .sort((a, b) => b.since.localeCompare(a.since))
    .slice(0, MAX_ABUSE_BLOCKS);
  // Never send what the hub would refuse as malformed.
  return abuseListResultSchema.parse({ blocks });
}
