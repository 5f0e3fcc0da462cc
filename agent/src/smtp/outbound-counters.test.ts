// The sliding windows behind row 20: a limit frees up as sends age out of the window, a released send
// is given back, and a reservation counts under every key or none.
import { describe, expect, it } from "vitest";
import { OutboundCounters, type CounterLimit } from "./outbound-counters";

const HOUR = 60 * 60 * 1000;
const mailboxHour: CounterLimit = { key: "mailbox:a@x.test", windowMs: HOUR, max: 2 };
const domainDay: CounterLimit = { key: "domain:x.test", windowMs: 24 * HOUR, max: 3 };

describe("OutboundCounters", () => {
  it("refuses past a limit and frees the slot once the oldest send leaves the window", () => {
    const counters = new OutboundCounters();
    const start = 1_000_000_000;
    expect(counters.tryReserve([mailboxHour], start).ok).toBe(true);
    expect(counters.tryReserve([mailboxHour], start + 1000).ok).toBe(true);
    expect(counters.tryReserve([mailboxHour], start + 2000)).toEqual({ ok: false, limit: mailboxHour });
    expect(counters.tryReserve([mailboxHour], start + HOUR + 1).ok).toBe(true);
  });

  it("gives a released send back, once", () => {
    const counters = new OutboundCounters();
    const first = counters.tryReserve([mailboxHour], 5000);
    counters.tryReserve([mailboxHour], 5000);
    if (!first.ok) throw new Error("first send refused");
    first.reservation.release();
    first.reservation.release();
    expect(counters.count(mailboxHour.key, HOUR, 5001)).toBe(1);
  });

  it("counts under every key or none", () => {
    const counters = new OutboundCounters();
    counters.tryReserve([domainDay], 1);
    counters.tryReserve([domainDay], 2);
    counters.tryReserve([domainDay], 3);
    expect(counters.tryReserve([mailboxHour, domainDay], 4)).toEqual({ ok: false, limit: domainDay });
    expect(counters.count(mailboxHour.key, HOUR, 5)).toBe(0);
  });
});
