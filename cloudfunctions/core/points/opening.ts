/**
 * Opening balances from channel member imports (identity's `import members`
 * posts a batch's new records' inside its batch transaction): a `migrate`
 * entry keyed `migrate:${recordId}`, so a re-import never credits twice; the
 * entry's content hash can be computed beforehand, in the import's reading
 * thread. See ledger.ts for the errors it throws.
 */
export { openingHash, postOpeningBalance, postOpeningBalances } from './ledger';
