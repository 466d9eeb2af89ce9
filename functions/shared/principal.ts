import { z } from 'zod';

export const ROLES = ['researcher', 'superuser', 'operations', 'citizen'] as const;
export type Role = (typeof ROLES)[number];

/** The verified caller. For citizens `sub` is their national ID: never log or echo it. */
export interface Principal {
  readonly sub: string;
  readonly role: Role;
  readonly org?: string;
  readonly name?: string;
}

export const claimsSchema = z.object({
  sub: z.string().min(1).max(200),
  role: z.enum(ROLES),
  org: z.string().min(1).max(100).optional(),
  name: z.string().max(200).optional(),
});

/** Staff roles act within an organisation; a staff token without one is not a usable identity. */
export const parsePrincipal = (claims: unknown): Principal | undefined => {
  const parsed = claimsSchema.safeParse(claims);
  if (!parsed.success) return undefined;
  const p = parsed.data;
  if (p.role !== 'citizen' && p.role !== 'operations' && !p.org) return undefined;
  return p;
};
