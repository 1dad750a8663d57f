import type { Services } from '../runtime/services';
import type { ClusterRules, IdentifierValue } from './cluster';
import { normalizePhone, phoneKey } from './normalize';

export interface IdentityRules extends ClusterRules {
  quarantineThreshold: number;
  isBlocked(identifier: IdentifierValue): boolean;
}

/** The lookup keys of the configured blocked phones (test numbers, placeholders typed for walk-in customers). */
export function blockedPhoneKeys(services: Pick<Services, 'config' | 'secrets'>): string[] {
  return services.config.identity.blockedPhones
    .map(normalizePhone)
    .filter((phone): phone is string => !!phone)
    .map((phone) => phoneKey(services.secrets.phoneHashKey, phone));
}

/** The configured identity rules, with the blocked phones turned into lookup keys. */
export function identityRules(services: Pick<Services, 'config' | 'secrets'>): IdentityRules {
  const { identity } = services.config;
  const blocked = new Set(blockedPhoneKeys(services));
  return {
    limits: identity.limits,
    // an operator's manual link is tried before anything else
    priority: ['link', ...identity.priority],
    quarantineThreshold: identity.quarantineThreshold,
    isBlocked: (identifier) => identifier.type === 'phone' && blocked.has(identifier.value),
    // a buyer known by phone alone (identity/buyers.ts) joins the phone's holder, never picks one of two
    follows: (recordId) => recordId.startsWith('buyer:'),
  };
}
