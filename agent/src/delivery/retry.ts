// Policy row 24: after a temporary failure the next attempt waits the next step of the retry schedule
// (default 10, 10, 10, 1440 minutes); once every step is used up the recipient fails and is bounced per
// row 6. So a schedule of N steps means at most N + 1 attempts.
export function retryDelayMs(scheduleMinutes: readonly number[], attemptsMade: number): number | null {
  const minutes = scheduleMinutes[attemptsMade - 1];
  return minutes === undefined ? null : Math.max(0, Math.round(minutes * 60_000));
}
