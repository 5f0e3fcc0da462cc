// Install commands name the console's public address; when that is a loopback address (the default
// http://localhost:3000), an agent on any other host cannot enroll with them. Says so, and how to fix it.
"use client";
import { useQuery } from "@tanstack/react-query";
import { Alert } from "../ui/alert";
import { useTRPC } from "~/lib/trpc";

export function PublicUrlWarning() {
  const trpc = useTRPC();
  const address = useQuery(trpc.server.consoleAddress.queryOptions());
  if (!address.data?.isLoopback) return null;
  return (
    <Alert tone="warning" data-testid="public-url-warning">
      Agents on other hosts cannot reach <strong>{address.data.url}</strong>: it is this machine’s own
      address. Set <code>MAILWARDEN_PUBLIC_URL</code> to the address other hosts reach the console at (for
      example https://console.example.net) and restart the console; agents on this same machine can use it as
      it is.
    </Alert>
  );
}
