// next-auth configuration: one credentials provider whose authorize() delegates to checkLogin, JWT
// sessions that expire after MAILWARDEN_SESSION_HOURS, and an audited sign-out.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { writeAudit } from "@mailwarden/db";
import { getRuntime } from "../runtime";
import { CLIENT_IP_HEADER } from "../client-ip";
import { checkLogin } from "./login";

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
          return result.user;
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) token.uid = user.id;
        return token;
      },
      session({ session, token }) {
        if (session.user && typeof token.uid === "string") (session.user as { id?: string }).id = token.uid;
        return session;
      },
    },
    events: {
      async signOut({ token }) {
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
