import type { MemberLoginResult } from '../contracts/member';
import type { Services } from '../runtime/services';
import { identifierId, memberByIdentifier, type IdentifierDoc, type MemberDoc } from './member.store';

/**
 * The caller's member, created on first sight. The openid identifier's document
 * id makes creation happen once however often (or concurrently) login is called.
 */
export async function login(openid: string, services: Services): Promise<MemberLoginResult> {
  const { store, clock, ids, config } = services;
  return store.transaction(async (tx) => {
    let member = await memberByIdentifier(tx, 'openid', openid);
    const isNew = !member;
    if (!member) {
      const at = new Date(clock.now()).toISOString();
      member = { _id: ids.next('m'), status: 'active', createdAt: at, consent: null, phoneBound: false, mergedInto: null };
      const identifier: IdentifierDoc = { _id: identifierId('openid', openid), type: 'openid', value: openid, memberId: member._id, createdAt: at };
      await tx.create('members', member);
      // create, not set: two first logins racing must not both win
      const stale = await tx.get<IdentifierDoc>('identifiers', identifier._id);
      if (stale) await tx.set('identifiers', identifier);
      else await tx.create('identifiers', identifier);
    }
    return {
      memberId: member._id,
      isNew,
      phoneBound: member.phoneBound,
      consented: member.consent?.version === config.termsVersion,
      termsVersion: config.termsVersion,
    };
  });
}

export type { MemberDoc };
