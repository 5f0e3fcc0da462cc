// Console sessions kept server-side. The signed cookie only names a UserSession row; every request checks
// that row (absolute end, idle timeout from ConsoleSettings), so deleting it ends the session at once —
// on sign-out, password change, 2FA reset, lock, role change or removal (endUserSessions), or from the
// account page's "Sign out elsewhere".
import { writeAudit, type Db, type Tx } from "@mailwarden/db";
import { AppError } from "../errors";
import { getRuntime } from "../runtime";

/** lastSeenAt is written at most this often, so a busy page does not write on every request. */
const TOUCH_EVERY_MS = 60_000;
export const DEFAULT_IDLE_TIMEOUT_MINUTES = 30;
export const IDLE_TIMEOUT_BOUNDS = { min: 5, max: 24 * 60 } as const;

export async function idleTimeoutMinutes(prisma: Db | Tx): Promise<number> {
  const settings = await prisma.consoleSettings.findUnique({ where: { id: "provider" } });
  return settings?.idleTimeoutMinutes ?? DEFAULT_IDLE_TIMEOUT_MINUTES;
}

export async function createSession(
  prisma: Db,
  input: { userId: string; ip: string | null; userAgent: string },
): Promise<string> {
  const session = await prisma.userSession.create({
    data: {
      userId: input.userId,
      ip: input.ip,
      userAgent: input.userAgent.slice(0, 500),
      expiresAt: new Date(Date.now() + getRuntime().sessionMaxAgeSeconds * 1000),
    },
  });
  return session.id;
}

/** The user of a live session (and marks it used), or null when it ended, expired or sat idle too long. */
export async function validateSession(prisma: Db, sessionId: string): Promise<string | null> {
  const session = await prisma.userSession.findUnique({
    where: { id: sessionId },
    include: { user: { select: { disabledAt: true } } },
  });
  if (!session) return null;
  const now = Date.now();
  const idleMs = (await idleTimeoutMinutes(prisma)) * 60_000;
  const isOver = session.expiresAt.getTime() <= now || session.lastSeenAt.getTime() + idleMs <= now;
  // A locked user's sessions are deleted when they are locked; refusing them here too fails closed.
  if (isOver || session.user.disabledAt !== null) {
    await prisma.userSession.deleteMany({ where: { id: sessionId } });
    return null;
  }
  if (now - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    await prisma.userSession.updateMany({ where: { id: sessionId }, data: { lastSeenAt: new Date(now) } });
  }
  return session.userId;
}

export async function endSession(prisma: Db, sessionId: string): Promise<void> {
  await prisma.userSession.deleteMany({ where: { id: sessionId } });
}

/** Ends every session of the user (but `exceptSessionId`); returns how many ended. */
export async function endUserSessions(
  prisma: Db | Tx,
  userId: string,
  exceptSessionId?: string,
): Promise<number> {
  const ended = await prisma.userSession.deleteMany({
    where: { userId, ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}) },
  });
  return ended.count;
}

/** "Firefox on Windows", "Chrome on iPhone", "curl" — enough to recognise one's own devices. */
export function describeDevice(userAgent: string): string {
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /(Chrome|Chromium)\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : /^curl\//.test(userAgent)
            ? "curl"
            : null;
  const os = /iPhone|iPad/.test(userAgent)
    ? /iPad/.test(userAgent)
      ? "iPad"
      : "iPhone"
    : /Android/.test(userAgent)
      ? "Android"
      : /Windows/.test(userAgent)
        ? "Windows"
        : /Mac OS X|Macintosh/.test(userAgent)
          ? "macOS"
          : /Linux/.test(userAgent)
            ? "Linux"
            : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? "Unknown device";
}

export async function listOwnSessions(prisma: Db, userId: string, currentSessionId: string | null) {
  const sessions = await prisma.userSession.findMany({
    where: { userId, expiresAt: { gt: new Date() } },
    orderBy: { lastSeenAt: "desc" },
  });
  return sessions.map((s) => ({
    id: s.id,
    device: describeDevice(s.userAgent),
    ip: s.ip,
    signedInAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    isCurrent: s.id === currentSessionId,
  }));
}

/** "Sign out elsewhere" (no sessionId) or one other session of one's own. */
export async function endOwnSessions(
  prisma: Db,
  user: { userId: string; email: string },
  input: { currentSessionId: string | null; sessionId?: string },
  ip: string | null,
): Promise<{ ended: number }> {
  return prisma.$transaction(async (tx) => {
    let ended: number;
    if (input.sessionId) {
      const result = await tx.userSession.deleteMany({ where: { id: input.sessionId, userId: user.userId } });
      if (result.count === 0) throw new AppError("NOT_FOUND", "That session has already ended.");
      ended = result.count;
    } else {
      ended = await endUserSessions(tx, user.userId, input.currentSessionId ?? undefined);
    }
    await writeAudit(tx, {
      type: "USER_SESSIONS_REVOKED",
      actorType: "USER",
      actorUserId: user.userId,
      actorLabel: user.email,
      targetType: "user",
      targetId: user.userId,
      summary: input.sessionId
        ? `${user.email} signed out one of their other sessions`
        : `${user.email} signed out everywhere else (${ended} ${ended === 1 ? "session" : "sessions"})`,
      ip,
    });
    return { ended };
  });
}
