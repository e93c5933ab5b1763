import { createGlobalLimits } from '../../src/index';

// Spawned by redis-global-limits.test.ts: takes the one cluster slot of LEASE_PREFIX, says so, and
// hangs (renewing the lease) until the test kills it with SIGKILL.
const limits = createGlobalLimits({
  keyPrefix: process.env.LEASE_PREFIX,
  maxParallel: 1,
  leaseTtlMs: Number(process.env.LEASE_TTL_MS),
  maxWaiting: 0,
  // A cold process connects first: give that more than the default 200 ms.
  timeoutMs: 5000,
});
const permit = await limits.enter();
console.log(permit.leased ? 'held' : 'not-held');
setInterval(() => {}, 60_000);
