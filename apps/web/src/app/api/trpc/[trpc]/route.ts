// Adapts HTTP to the tRPC router; nothing else happens here.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "~/server/trpc/root";
import { getSessionUserId } from "~/server/auth/session";
import { CLIENT_IP_HEADER } from "~/server/client-ip";
import { getRuntime } from "~/server/runtime";

export const dynamic = "force-dynamic";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => ({
      prisma: getRuntime().prisma,
      userId: await getSessionUserId(),
      ip: req.headers.get(CLIENT_IP_HEADER),
    }),
  });
}

export { handler as GET, handler as POST };
