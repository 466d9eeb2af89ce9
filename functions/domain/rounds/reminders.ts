import type { Route } from '../citizens/minors.js';
import { guardianAwaitingKey, type GuardianAsked } from '../letters/form-tasks.js';

/**
 * Reminder rounds, the children among `routes` whose letters go to guardians: a child awaits an
 * answer while one of their guardians has not answered their task about them, and only those
 * guardians are reminded — `routes` comes back with each such child's guardians narrowed to them.
 * The send-time gate and the pre-flight both ask this, so both count alike.
 */
export const childrenAwaiting = async (
  routes: ReadonlyMap<string, Route>,
  /** The child's references (pseudonymsOfChild: under every live key version), as the guardians' tasks may record them. */
  childReferences: (nin: string) => readonly string[],
  guardiansAwaiting: (asked: readonly GuardianAsked[]) => Promise<Set<string>>,
): Promise<{ readonly children: ReadonlySet<string>; readonly routes: ReadonlyMap<string, Route> }> => {
  const refs = new Map([...routes].flatMap(([nin, r]) => (r.kind === 'guardians' ? [[nin, childReferences(nin)] as const] : [])));
  if (refs.size === 0) return { children: new Set(), routes };
  const asked = [...refs].flatMap(([nin, childRefs]) =>
    (routes.get(nin) as Extract<Route, { kind: 'guardians' }>).guardians.flatMap((g) => childRefs.map((ref) => ({ guardian: g.nin, aboutChild: ref }))),
  );
  const open = await guardiansAwaiting(asked);
  const children = new Set<string>();
  const narrowed = new Map(routes);
  for (const [nin, childRefs] of refs) {
    const route = routes.get(nin) as Extract<Route, { kind: 'guardians' }>;
    const waiting = route.guardians.filter((g) => childRefs.some((ref) => open.has(guardianAwaitingKey(g.nin, ref))));
    if (waiting.length === 0) continue;
    children.add(nin);
    narrowed.set(nin, { ...route, guardians: waiting });
  }
  return { children, routes: narrowed };
};
