// First run: no default credentials. While no user exists, a one-time setup token (printed on the console
// at start) lets one person create the first provider admin. Only its hash is stored.
import { generateToken, hashToken, writeAudit, type Db } from "@mailwarden/db";
import { defaultPolicy } from "@mailwarden/policy";
import { AppError } from "../errors";
import { assertPasswordAllowed, hashPassword } from "../passwords";

const SETUP_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

export async function needsSetup(prisma: Db): Promise<boolean> {
  return (await prisma.user.count()) === 0;
}

/** Issues a fresh setup token (older unused ones are voided); null once an admin exists. */
export async function issueSetupToken(prisma: Db): Promise<{ token: string; expiresAt: Date } | null> {
  if (!(await needsSetup(prisma))) return null;
  const token = generateToken();
  const expiresAt = new Date(Date.now() + SETUP_TOKEN_TTL_MS);
  await prisma.$transaction([
    prisma.setupToken.deleteMany({ where: { usedAt: null } }),
    prisma.setupToken.create({ data: { tokenHash: hashToken(token), expiresAt } }),
  ]);
  return { token, expiresAt };
}

export async function isSetupTokenValid(prisma: Db, token: string): Promise<boolean> {
  const row = await prisma.setupToken.findUnique({ where: { tokenHash: hashToken(token) } });
  return Boolean(row && !row.usedAt && row.expiresAt > new Date()) && (await needsSetup(prisma));
}

export async function completeSetup(
  prisma: Db,
  input: { token: string; name: string; email: string; password: string; ip: string | null },
): Promise<{ userId: string }> {
  const email = input.email.trim().toLowerCase();
  assertPasswordAllowed(input.password, defaultPolicy.passwordPolicy, { userName: email.split("@")[0] });
  const hash = await hashPassword(input.password);
  return prisma.$transaction(async (tx) => {
    const row = await tx.setupToken.findUnique({ where: { tokenHash: hashToken(input.token) } });
    if (!row || row.usedAt || row.expiresAt <= new Date() || (await tx.user.count()) > 0) {
      throw new AppError(
        "BAD_REQUEST",
        "This setup link is invalid, already used or expired. Restart Mailwarden for a new one.",
      );
    }
    // Claim the token first: a concurrent second setup sees usedAt set and fails.
    const claimed = await tx.setupToken.updateMany({
      where: { id: row.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    if (claimed.count !== 1) throw new AppError("BAD_REQUEST", "This setup link was just used.");
    const user = await tx.user.create({
      data: {
        email,
        name: input.name.trim(),
        providerRole: "PROVIDER_ADMIN",
        password: { create: { hash } },
      },
    });
    await writeAudit(tx, {
      type: "SETUP_COMPLETED",
      actorType: "USER",
      actorUserId: user.id,
      actorLabel: email,
      targetType: "user",
      targetId: user.id,
      summary: `First provider admin ${email} created with the setup link`,
      ip: input.ip,
    });
    return { userId: user.id };
  });
}
