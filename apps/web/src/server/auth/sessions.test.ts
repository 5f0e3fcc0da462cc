// Sessions end when they should: every request checks the server-side row, so sign-out, a password
// change, an admin's lock, 2FA reset, role change or removal, and a password-reset link end the user's
// sessions at once; an idle session ends after the provider's timeout. Fake clocks, real Postgres.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import * as OTPAuth from "otpauth";
import type { Db } from "@mailwarden/db";
import type { Actor } from "../access";
import { loadActor } from "./actor";
import { changeOwnPassword } from "./console-password";
import { checkLogin } from "./login";
import { completePasswordReset, passwordResetStatus } from "./password-reset";
import { createSession, endOwnSessions, listOwnSessions, validateSession } from "./sessions";
import { beginTotpEnrollment, confirmTotpEnrollment } from "./totp";
import { createTestRuntime, createUser, TEST_PASSWORD } from "../testing";
import { updateConsoleSettings } from "../services/console-settings";
import { changeStaffRole, removeProviderStaff } from "../services/provider-staff";
import {
  issuePasswordResetLink,
  resetUserTwoFactor,
  setUserLocked,
  signOutUserEverywhere,
} from "../services/user-accounts";

let prisma: Db;
let stop: () => Promise<void>;
let admin: Actor;

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const user = await createUser(prisma, { email: "root@provider.test", providerRole: "PROVIDER_ADMIN" });
  admin = (await loadActor(prisma, user.id))!.actor;
});
afterAll(async () => stop?.());
afterEach(() => {
  vi.useRealTimers();
});

const NEW_PASSWORD = "Another-Sturdy-Pass-77";
let n = 0;
async function signedInUser(
  extra: Parameters<typeof createUser>[1] extends infer T ? Partial<T> : never = {},
) {
  const user = await createUser(prisma, { email: `user${++n}@example.test`, ...extra });
  const sessions = [
    await createSession(prisma, {
      userId: user.id,
      ip: "203.0.113.1",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    }),
    await createSession(prisma, {
      userId: user.id,
      ip: "203.0.113.2",
      userAgent: "Mozilla/5.0 (iPhone) Safari/604.1",
    }),
  ];
  return { user, sessions };
}

async function live(sessions: string[]) {
  return Promise.all(sessions.map(async (s) => (await validateSession(prisma, s)) !== null));
}

describe("a session", () => {
  it("is valid until it is ended, and then refused", async () => {
    const { user, sessions } = await signedInUser();
    expect(await validateSession(prisma, sessions[0]!)).toBe(user.id);
    await endOwnSessions(
      prisma,
      { userId: user.id, email: user.email },
      { currentSessionId: sessions[0]!, sessionId: sessions[1] },
      null,
    );
    expect(await live(sessions)).toEqual([true, false]);
  });

  it("ends after the provider's idle timeout, and activity keeps it alive", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await updateConsoleSettings(prisma, admin, { idleTimeoutMinutes: 10 }, null);
    const { sessions } = await signedInUser();
    vi.setSystemTime(Date.now() + 9 * 60_000);
    expect(await live([sessions[0]!])).toEqual([true]); // used: idle counts from now
    vi.setSystemTime(Date.now() + 9 * 60_000);
    expect(await live(sessions)).toEqual([true, false]);
    await updateConsoleSettings(prisma, admin, { idleTimeoutMinutes: 30 }, null);
  });

  it("ends at its absolute lifetime, however active", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { sessions } = await signedInUser();
    for (let i = 0; i < 2; i++) {
      vi.setSystemTime(Date.now() + 25 * 60_000);
      expect(await live([sessions[0]!])).toEqual([true]);
    }
    // createTestRuntime sets a lifetime of one hour.
    vi.setSystemTime(Date.now() + 15 * 60_000);
    expect(await live([sessions[0]!])).toEqual([false]);
  });

  it("lists the user's devices, this one marked", async () => {
    const { user, sessions } = await signedInUser();
    const list = await listOwnSessions(prisma, user.id, sessions[1]!);
    expect(list.map((s) => [s.device, s.ip, s.isCurrent]).sort()).toEqual([
      ["Firefox on Linux", "203.0.113.1", false],
      ["Safari on iPhone", "203.0.113.2", true],
    ]);
  });

  it("'sign out elsewhere' ends every other session, not this one", async () => {
    const { user, sessions } = await signedInUser();
    const extra = await createSession(prisma, { userId: user.id, ip: null, userAgent: "curl/8" });
    const { ended } = await endOwnSessions(
      prisma,
      { userId: user.id, email: user.email },
      { currentSessionId: sessions[0]! },
      null,
    );
    expect(ended).toBe(2);
    expect(await live([...sessions, extra])).toEqual([true, false, false]);
  });
});

describe("everything that ends a user's sessions at once", () => {
  it("a password change", async () => {
    const { user, sessions } = await signedInUser();
    await changeOwnPassword(
      prisma,
      { userId: user.id, email: user.email },
      { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD },
      null,
    );
    expect(await live(sessions)).toEqual([false, false]);
  });

  it("a lock by an admin, which also refuses sign-in until unlocked", async () => {
    const { user, sessions } = await signedInUser({ providerRole: "AUDITOR" });
    await setUserLocked(prisma, admin, { userId: user.id, locked: true }, null);
    expect(await live(sessions)).toEqual([false, false]);
    // Even a session opened behind the lock's back is refused while the user is locked.
    const sneaked = await createSession(prisma, { userId: user.id, ip: null, userAgent: "curl/8" });
    expect(await live([sneaked])).toEqual([false]);
    expect(
      (await checkLogin(prisma, { email: user.email, password: TEST_PASSWORD, ip: "203.0.113.1" })).ok,
    ).toBe(false);
    await setUserLocked(prisma, admin, { userId: user.id, locked: false }, null);
    expect(
      (await checkLogin(prisma, { email: user.email, password: TEST_PASSWORD, ip: "203.0.113.1" })).ok,
    ).toBe(true);
  });

  it("a 2FA reset, after which the user enrols again", async () => {
    const { user, sessions } = await signedInUser({ providerRole: "AUDITOR" });
    await prisma.totpSecret.create({
      data: { userId: user.id, encryptedSecret: "x", enabledAt: new Date() },
    });
    await resetUserTwoFactor(prisma, admin, { userId: user.id }, null);
    expect(await live(sessions)).toEqual([false, false]);
    expect((await loadActor(prisma, user.id))!.needs2faSetup).toBe(true);
  });

  it("a role change and a removal", async () => {
    const first = await signedInUser({ providerRole: "AUDITOR" });
    await changeStaffRole(prisma, admin, { userId: first.user.id, role: "PROVIDER_ADMIN" }, null);
    expect(await live(first.sessions)).toEqual([false, false]);
    const second = await signedInUser({ providerRole: "AUDITOR" });
    await removeProviderStaff(prisma, admin, { userId: second.user.id }, null);
    expect(await live(second.sessions)).toEqual([false, false]);
  });

  it("an admin's 'sign out everywhere'", async () => {
    const { user, sessions } = await signedInUser({ providerRole: "AUDITOR" });
    expect((await signOutUserEverywhere(prisma, admin, { userId: user.id }, null)).ended).toBe(2);
    expect(await live(sessions)).toEqual([false, false]);
  });

  it("the last provider admin can be neither demoted nor removed", async () => {
    await prisma.user.deleteMany({ where: { providerRole: "PROVIDER_ADMIN", id: { not: admin.userId } } });
    await expect(
      changeStaffRole(prisma, admin, { userId: admin.userId, role: "AUDITOR" }, null),
    ).rejects.toThrow(/at least one provider admin/);
  });
});

describe("a password-reset link", () => {
  function tokenOf(url: string) {
    return new URL(url).hash.replace("#token=", "");
  }

  it("works once, within the hour, ends every session and is audited", async () => {
    const { user, sessions } = await signedInUser({ providerRole: "AUDITOR" });
    const { url } = await issuePasswordResetLink(prisma, admin, { userId: user.id }, null);
    const token = tokenOf(url);
    expect(await passwordResetStatus(prisma, token)).toMatchObject({ isValid: true, email: user.email });
    await expect(completePasswordReset(prisma, { token, password: "short" }, null)).rejects.toThrow(
      /Password rejected/,
    );
    await completePasswordReset(prisma, { token, password: NEW_PASSWORD }, null);
    expect(await live(sessions)).toEqual([false, false]);
    expect(
      (await checkLogin(prisma, { email: user.email, password: NEW_PASSWORD, ip: "203.0.113.3" })).ok,
    ).toBe(true);
    await expect(
      completePasswordReset(prisma, { token, password: "Yet-Another-Pass-99" }, null),
    ).rejects.toThrow(/not valid any more/);
    const types = (await prisma.auditEvent.findMany({ where: { targetId: user.id } })).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["PASSWORD_RESET_LINK_CREATED", "PASSWORD_RESET_COMPLETED"]),
    );
  });

  it("expires after an hour, and a newer link replaces an older one", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { user } = await signedInUser({ providerRole: "AUDITOR" });
    const first = tokenOf((await issuePasswordResetLink(prisma, admin, { userId: user.id }, null)).url);
    const second = tokenOf((await issuePasswordResetLink(prisma, admin, { userId: user.id }, null)).url);
    expect((await passwordResetStatus(prisma, first)).isValid).toBe(false);
    vi.setSystemTime(Date.now() + 61 * 60_000);
    expect((await passwordResetStatus(prisma, second)).isValid).toBe(false);
  });

  it("is only issued by an admin above the user", async () => {
    const tenant = await prisma.tenant.create({ data: { name: "Gamma", slug: "gamma" } });
    const customerAdmin = await createUser(prisma, {
      email: "ca@gamma.test",
      membership: { tenantId: tenant.id, role: "CUSTOMER_ADMIN" },
    });
    const peer = await createUser(prisma, {
      email: "ca2@gamma.test",
      membership: { tenantId: tenant.id, role: "CUSTOMER_ADMIN" },
    });
    const below = await createUser(prisma, {
      email: "au@gamma.test",
      membership: { tenantId: tenant.id, role: "AUDITOR" },
    });
    const actor = (await loadActor(prisma, customerAdmin.id))!.actor;
    await expect(issuePasswordResetLink(prisma, actor, { userId: peer.id }, null)).rejects.toThrow(
      /not found/,
    );
    await expect(issuePasswordResetLink(prisma, actor, { userId: admin.userId }, null)).rejects.toThrow(
      /not found/,
    );
    expect((await issuePasswordResetLink(prisma, actor, { userId: below.id }, null)).url).toMatch(/#token=/);
  });
});

describe("2FA enrolment", () => {
  const codeFor = (secret: string, at = Date.now()) =>
    new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
      timestamp: at,
    });

  it("shows the same secret on reload, so a code from the first load confirms it", async () => {
    const { user } = await signedInUser({ providerRole: "AUDITOR" });
    const first = await beginTotpEnrollment(prisma, user.id);
    const reload = await beginTotpEnrollment(prisma, user.id);
    expect(reload.secret).toBe(first.secret);
    expect(reload.qrDataUrl).toBe(first.qrDataUrl);
    const { recoveryCodes } = await confirmTotpEnrollment(prisma, user.id, codeFor(first.secret), null);
    expect(recoveryCodes).toHaveLength(10);
  });

  it("makes a new secret only when asked to start over", async () => {
    const { user } = await signedInUser({ providerRole: "AUDITOR" });
    const first = await beginTotpEnrollment(prisma, user.id);
    const again = await beginTotpEnrollment(prisma, user.id, { restart: true });
    expect(again.secret).not.toBe(first.secret);
  });

  it("says what went wrong with a refused code", async () => {
    const { user } = await signedInUser({ providerRole: "AUDITOR" });
    const { secret } = await beginTotpEnrollment(prisma, user.id);
    await expect(confirmTotpEnrollment(prisma, user.id, "12345", null)).rejects.toThrow(/6-digit code/);
    await expect(
      confirmTotpEnrollment(prisma, user.id, codeFor(secret, Date.now() - 5 * 60_000), null),
    ).rejects.toThrow(/5 minutes ago: your phone's clock is off/);
    const other = new OTPAuth.Secret({ size: 20 }).base32;
    await expect(confirmTotpEnrollment(prisma, user.id, codeFor(other), null)).rejects.toThrow(
      /does not match this QR code/,
    );
  });
});
