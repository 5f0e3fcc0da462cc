// The one root router: plain router records merged here.
import { router, createCallerFactory } from "./trpc";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { customerRouter } from "./routers/customer";
import { domainRouter } from "./routers/domain";
import { mailLogRouter } from "./routers/mail-log";
import { overviewRouter } from "./routers/overview";
import { peopleRouter } from "./routers/people";
import { policyRouter } from "./routers/policy";
import { serverRouter } from "./routers/server";

export const appRouter = router({
  auth: authRouter,
  customer: customerRouter,
  domain: domainRouter,
  server: serverRouter,
  policy: policyRouter,
  audit: auditRouter,
  mailLog: mailLogRouter,
  overview: overviewRouter,
  people: peopleRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
