/**
 * Opening balances from channel member imports (identity's `import members`
 * calls this inside its batch transaction, once per new record): a `migrate`
 * entry keyed `migrate:${recordId}`, so a re-import never credits twice. See
 * ledger.ts for the errors it throws.
 */
export { postOpeningBalance } from './ledger';
