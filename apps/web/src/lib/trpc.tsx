// The browser's tRPC client with TanStack Query (tRPC 11's query-options API).
"use client";
import * as React from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { inferRouterOutputs } from "@trpc/server";
import superjson from "superjson";
import { ConfirmProvider } from "~/components/ui/confirm-dialog";
import type { AppRouter } from "~/server/trpc/root";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export function Providers({ children }: { children: React.ReactNode }) {
  const [queryClient] = React.useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            staleTime: 5_000,
            retry: (count, error) =>
              count < 2 && !(error instanceof TRPCClientError && error.data?.httpStatus < 500),
          },
        },
      }),
  );
  const [trpcClient] = React.useState(() =>
    createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })] }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <ConfirmProvider>{children}</ConfirmProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** The message to show a user for a failed call: one plain sentence, never JSON (see ./error-message). */
export { errorMessage } from "./error-message";
