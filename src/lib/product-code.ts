/**
 * The product code of a plain link, read locally: https://<domain>/c/<code>, the path starting with
 * it (a guide's link carrying `/c/…` in its query is no product). The landing page sends such a
 * link on to the scan page, and the scan page tells the link from its code typed bare by it.
 */
export function productCodeIn(q: string | undefined): string | undefined {
  return q ? /^https?:\/\/[^/?#]+\/c\/([A-Za-z0-9_-]{4,64})(?:[/?#]|$)/i.exec(q)?.[1] : undefined
}
