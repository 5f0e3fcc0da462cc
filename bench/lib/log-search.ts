// Times the four searches of issue 13 item 7 (b) through the console's own search service
// (apps/web/src/server/services/mail-log.ts, the code behind the Logs page), as a provider admin and as a
// customer admin (whose searches carry their tenant's scope), against the seeded mail log.
import { createPrismaClient } from "@mailwarden/db";
import type { Actor } from "../../apps/web/src/server/access";
import { searchMailLog } from "../../apps/web/src/server/services/mail-log";
import { seededIds, type SeedShape } from "./log-seed";

export interface Timing {
  name: string;
  /** Milliseconds per search, in the order run. */
  samples: number[];
  /** Rows the searches returned, all together (0 would mean the search measured nothing). */
  rows: number;
}

const PAGE = 50;

export async function searchTimings(
  url: string,
  shape: SeedShape,
  samples: number,
  log: (line: string) => void,
): Promise<Timing[]> {
  const prisma = createPrismaClient(url, { maxConnections: 2 });
  const provider: Actor = {
    userId: "bench",
    email: "bench@x.test",
    name: "Bench",
    providerRole: "PROVIDER_ADMIN",
    memberships: [],
  };
  const customerAdmin = (i: number): Actor => ({
    ...provider,
    providerRole: null,
    memberships: [{ tenantId: seededIds.tenant(i % shape.customers), role: "CUSTOMER_ADMIN", domainIds: [] }],
  });
  // Sample i looks at domain d(i), spread over the fleet; customer admins ask about their own domains.
  const domainOf = (i: number) => (i * 7919) % shape.domains;
  const searches: [string, (i: number) => { actor: Actor; filter: Parameters<typeof searchMailLog>[2] }][] = [
    [
      "by recipient",
      (i) => ({
        actor: provider,
        filter: { recipient: seededIds.recipient(domainOf(i), i % 50), limit: PAGE },
      }),
    ],
    [
      "by client IP",
      (i) => ({
        actor: provider,
        filter: { clientIp: seededIds.clientIp((i * 7919) % 100_000), limit: PAGE },
      }),
    ],
    [
      "by queue id",
      (i) => ({
        actor: provider,
        filter: { message: seededIds.queueId(1 + ((i * 104_729) % shape.records)), limit: PAGE },
      }),
    ],
    [
      "a domain's last hour",
      (i) => ({
        actor: customerAdmin(domainOf(i)),
        filter: {
          domainId: seededIds.domain(domainOf(i)),
          from: new Date(shape.end.getTime() - 3600_000),
          limit: PAGE,
        },
      }),
    ],
    [
      "by recipient, customer admin",
      (i) => ({
        actor: customerAdmin(domainOf(i)),
        filter: { recipient: seededIds.recipient(domainOf(i), i % 50), limit: PAGE },
      }),
    ],
  ];
  try {
    const timings: Timing[] = [];
    for (const [name, make] of searches) {
      // One warm-up search (connection, plan cache), not counted.
      const first = make(samples);
      await searchMailLog(prisma, first.actor, first.filter);
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < samples; i++) {
        const { actor, filter } = make(i);
        const started = performance.now();
        const page = await searchMailLog(prisma, actor, filter);
        times.push(performance.now() - started);
        rows += page.items.length;
      }
      log(`${name}: ${rows} rows; ms ${times.map((t) => t.toFixed(0)).join(" ")}`);
      timings.push({ name, samples: times, rows });
    }
    return timings;
  } finally {
    await prisma.$disconnect();
  }
}
