// What the cards that read an agent live (./queue-card, ./abuse-blocks-card) share: every read is a
// round trip through the hub, so it is never repeated on its own (only Refresh, an action, or the server
// coming online or going away re-read), and an action that got no answer is said plainly.
"use client";
import * as React from "react";
import type { NoAnswer } from "~/server/services/agent-commands";

export interface Notice {
  tone: "success" | "warning" | "error";
  text: string;
}

/** For useQuery: a read of the agent happens only when asked for. */
export const readOnDemand = { refetchOnWindowFocus: false, staleTime: Infinity, retry: false } as const;

/** Re-reads when the server's status changes (the first status is the mount's). */
export function useRereadOnStatusChange(refetch: () => unknown, serverStatus: string): void {
  const shownStatus = React.useRef(serverStatus);
  React.useEffect(() => {
    if (shownStatus.current === serverStatus) return;
    shownStatus.current = serverStatus;
    void refetch();
  }, [serverStatus, refetch]);
}

/**
 * What to say when an action got no answer; `nothingDone` and `mayStillDo` finish the sentences
 * ("nothing was lifted", "lift the block").
 */
export function describeNoAnswer(
  outcome: NoAnswer,
  words: { nothingDone: string; mayStillDo: string },
): Notice {
  switch (outcome.status) {
    case "offline":
      return { tone: "warning", text: `The agent is offline: ${words.nothingDone}.` };
    case "timeout":
      return outcome.wasSent
        ? { tone: "warning", text: `The agent did not answer in time. It may still ${words.mayStillDo}.` }
        : { tone: "warning", text: `The agent could not be reached in time: ${words.nothingDone}.` };
    case "failed":
      return { tone: "error", text: `The agent could not do it: ${outcome.error}` };
  }
}
