// Adapts HTTP to the tRPC router; nothing else happens here.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "~/server/trpc/root";
import { getCurrentSession } from "~/server/auth/session";
import { CLIENT_IP_HEADER } from "~/server/client-ip";
import { getRuntime } from "~/server/runtime";

export const dynamic = "force-dynamic";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => {
      const session = await getCurrentSession();
      return {
        prisma: getRuntime().prisma,
        userId: session?.userId ?? null,
        sessionId: session?.sessionId ?? null,
        ip: req.headers.get(CLIENT_IP_HEADER),
      };
    },
  });
}

export { handler as GET, handler as POST };
