// Warm-up until a peer's rate stops climbing. A fresh agent needs thousands of messages before V8 has
// optimized its hot paths (measured: ~2.3 ms of user CPU per message in its first thousand, ~0.6 ms after
// five thousand); Haraka climbs too, for fewer messages. A fixed short warm-up measured the agent cold.
export interface WarmUpTurn {
  messages: number;
  msgsPerSecond: number;
}

export interface WarmUpOptions {
  /** Messages in the first turn; later turns are sized from the last rate to last `turnSeconds`. */
  firstMessages: number;
  turnSeconds: number;
  minTurns: number;
  /**
   * Messages before the rate may count as steady. A peer that writes every message to disk also climbs
   * slowly for thousands of messages after many files were deleted on this machine (fsync costs fall
   * as files are created), by less than 5 % a turn but for many turns.
   */
  minMessages: number;
  /** Gives up climbing after this long (the turns so far are returned). */
  maxSeconds: number;
  /** Bounds a turn's size (e.g. the ephemeral ports a new-connection load would use up). */
  maxMessages: number;
}

/** A turn counts as a new high only when it beats the best before it by more than this share. */
const CLIMB = 0.05;

/** Turns in a row that must fail to beat the best before them before the rate counts as steady. */
const FLAT_TURNS = 3;

/**
 * Runs `turn` until three turns in a row fail to beat the best before them by more than 5 %, after at
 * least `minTurns` and `minMessages`; resolves with every turn.
 */
export async function warmUntilSteady(
  turn: (messages: number) => Promise<number>,
  options: WarmUpOptions,
): Promise<WarmUpTurn[]> {
  const started = performance.now();
  const turns: WarmUpTurn[] = [];
  let best = 0;
  let flat = 0;
  let messages = options.firstMessages;
  let sent = 0;
  for (;;) {
    const msgsPerSecond = await turn(messages);
    turns.push({ messages, msgsPerSecond });
    sent += messages;
    flat = msgsPerSecond > best * (1 + CLIMB) ? 0 : flat + 1;
    best = Math.max(best, msgsPerSecond);
    const enough = turns.length >= options.minTurns && sent >= options.minMessages;
    if (enough && flat >= FLAT_TURNS) return turns;
    if (performance.now() - started > options.maxSeconds * 1000) return turns;
    const sized = Math.round((msgsPerSecond * options.turnSeconds) / 10) * 10;
    messages = Math.max(options.firstMessages, Math.min(options.maxMessages, sized));
  }
}
