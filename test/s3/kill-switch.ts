import type { ChildProcess } from 'node:child_process';
import { type FaultProxy, type ProxiedRequest, startFaultProxy } from '../support/fault-proxy.js';

/**
 * Where to kill the current child: at its `k`-th S3 request under `prefix`, before S3 saw
 * it or (`after`) once S3 executed it and before the answer reached the child.
 */
export interface KillPlan {
  prefix: string;
  k: number;
  after: boolean;
  seen: number;
  child: ChildProcess | null;
  /** Proxy number of the k-th request. */
  n?: number;
  /** `METHOD kind` of the request the child died at, to show which point a case covers. */
  hit?: string;
}

export interface KillSwitch {
  proxy: FaultProxy;
  /** Arms the plan for the next child process (hand it over with `attach`). */
  arm(plan: Pick<KillPlan, 'prefix' | 'k' | 'after'>): KillPlan;
  /** The child started under the armed plan, if one is armed. */
  attach(child: ChildProcess): void;
  disarm(): void;
}

/**
 * A counting proxy in front of S3 that SIGKILLs the armed child process at one exact
 * request, and drops every request still in flight from it, as a crashed process would.
 * Shared by the crash tests so the kill points mean the same thing in each.
 */
export async function startKillSwitch(upstream: string): Promise<KillSwitch> {
  let plan: KillPlan | null = null;
  const onRequest = (r: ProxiedRequest): 'drop' | 'drop-after' | undefined => {
    if (!plan || !r.key.startsWith(`${plan.prefix}/`)) return undefined;
    plan.seen++;
    if (plan.seen < plan.k) return undefined;
    if (plan.seen > plan.k) return 'drop'; // requests already in flight when the process died
    plan.n = r.n;
    plan.hit = `${r.method} ${r.kind}`;
    if (!plan.after) plan.child?.kill('SIGKILL');
    return plan.after ? 'drop-after' : 'drop';
  };
  const proxy = await startFaultProxy({
    upstream,
    onRequest,
    onResponse: (r) => {
      if (plan?.after && r.n === plan.n) plan.child?.kill('SIGKILL');
    },
  });
  return {
    proxy,
    arm(p) {
      plan = { ...p, seen: 0, child: null };
      return plan;
    },
    attach(child) {
      if (plan) plan.child = child;
    },
    disarm() {
      plan = null;
    },
  };
}
