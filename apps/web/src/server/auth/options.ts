// next-auth configuration: one credentials provider whose authorize() delegates to checkLogin and opens a
// server-side session (./sessions.ts) — the signed cookie carries only that session's id, so ending the
// row ends the session whatever the cookie says — and an audited sign-out that ends it.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { writeAudit } from "@mailwarden/db";
import { getRuntime } from "../runtime";
import { CLIENT_IP_HEADER } from "../client-ip";
import { checkLogin } from "./login";
import { createSession, endSession } from "./sessions";

export function authOptions(): NextAuthOptions {
  const runtime = getRuntime();
  return {
    secret: runtime.authSecret,
    session: { strategy: "jwt", maxAge: runtime.sessionMaxAgeSeconds },
    jwt: { maxAge: runtime.sessionMaxAgeSeconds },
    pages: { signIn: "/login" },
    providers: [
      CredentialsProvider({
        name: "Mailwarden",
        credentials: {
          email: { type: "email" },
          password: { type: "password" },
          totpCode: { type: "text" },
          recoveryCode: { type: "text" },
        },
        async authorize(credentials, req) {
          const header = req?.headers?.[CLIENT_IP_HEADER];
          const result = await checkLogin(runtime.prisma, {
            email: credentials?.email ?? "",
            password: credentials?.password ?? "",
            totpCode: credentials?.totpCode || undefined,
            recoveryCode: credentials?.recoveryCode || undefined,
            ip: typeof header === "string" ? header : null,
          });
          if (!result.ok) throw new Error(result.error);
          const userAgent = req?.headers?.["user-agent"];
          const sessionId = await createSession(runtime.prisma, {
            userId: result.user.id,
            ip: typeof header === "string" ? header : null,
            userAgent: typeof userAgent === "string" ? userAgent : "",
          });
          return { ...result.user, sessionId };
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.uid = user.id;
          token.sid = (user as { sessionId?: string }).sessionId;
        }
        return token;
      },
      session({ session, token }) {
        if (session.user && typeof token.uid === "string") (session.user as { id?: string }).id = token.uid;
        return Object.assign(session, { sid: typeof token.sid === "string" ? token.sid : undefined });
      },
    },
    events: {
      async signOut({ token }) {
        if (typeof token?.sid === "string") await endSession(runtime.prisma, token.sid);
        if (typeof token?.uid !== "string") return;
        const user = await runtime.prisma.user.findUnique({ where: { id: token.uid } });
        if (!user) return;
        await writeAudit(runtime.prisma, {
          type: "USER_LOGOUT",
          actorType: "USER",
          actorUserId: user.id,
          actorLabel: user.email,
          targetType: "user",
          targetId: user.id,
          summary: `${user.email} signed out`,
        });
      },
    },
  };
}
