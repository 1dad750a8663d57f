import type { Doc, DocStore, QueryOptions } from './port';

/**
 * Every document a query finds, read a page at a time (a page of 500 by default, at most 1000):
 * how exports, reports, listings and checks walk a collection without holding it.
 */
export async function* allDocs<T extends Doc>(
  store: DocStore,
  collection: string,
  options: Omit<QueryOptions, 'limit' | 'cursor'> & { pageSize?: number } = {},
): AsyncGenerator<T> {
  const { pageSize = 500, ...query } = options;
  let cursor: string | null = null;
  do {
    const page: { items: T[]; nextCursor: string | null } = await store.query<T>(collection, { ...query, limit: pageSize, cursor });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}
