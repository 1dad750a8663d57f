import type { Doc, Tx } from '../store/port';

export interface MemberDoc extends Doc {
  status: 'active' | 'merged' | 'deleted';
  createdAt: string;
  consent: { version: string; at: string } | null;
  phoneBound: boolean;
  /** Set when this member was absorbed by another: follow it to the survivor. */
  mergedInto?: string | null;
}

export interface IdentifierDoc extends Doc {
  type: string;
  value: string;
  memberId: string;
  createdAt: string;
}

export const identifierId = (type: string, value: string) => `${type}:${value}`;

/** The live member an identifier leads to, following merges. */
export async function memberByIdentifier(tx: Tx, type: string, value: string): Promise<MemberDoc | null> {
  const identifier = await tx.get<IdentifierDoc>('identifiers', identifierId(type, value));
  if (!identifier) return null;
  let member = await tx.get<MemberDoc>('members', identifier.memberId);
  for (let hops = 0; member?.mergedInto && hops < 16; hops++) {
    member = await tx.get<MemberDoc>('members', member.mergedInto);
  }
  return member && member.status === 'active' ? member : null;
}
