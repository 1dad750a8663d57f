/**
 * The ways into the mini-program, as strings. Pure.
 *
 * - A mini-program code (`wxacode.getUnlimited`) carries a `scene` of at most
 *   32 visible characters: `g=<guideId>`, `s=<storeId>`, `p=<campaignId>`.
 *   WeChat hands it to the page URL-encoded (`g%3DG001`); both forms are read.
 * - A printed QR code holds a plain link on the brand's domain, which WeChat's
 *   own scanner turns into the page's `q` (URL-encoded once):
 *   `https://<brandDomain>/c/<code>` (a product unit), `/g/<guideId>`,
 *   `/s/<storeId>`, `/p/<campaignId>`.
 */

export type PlaceKind = 'guide' | 'store' | 'packageCard';
export type SceneRef = { kind: PlaceKind; id: string } | { kind: 'product'; code: string };

/** Ids of stores, guides and campaigns: short enough that `g=` + id fits a scene. */
export const PLACE_ID = /^[A-Za-z0-9_-]{1,30}$/;
export const MAX_SCENE = 32;
const MAX_LINK = 512;

const SCENE_KINDS: Record<string, PlaceKind> = { g: 'guide', s: 'store', p: 'packageCard' };
const LINK_KINDS: Record<string, PlaceKind | 'product'> = { c: 'product', g: 'guide', s: 'store', p: 'packageCard' };
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

export const sceneOf = (kind: PlaceKind, id: string) => `${{ guide: 'g', store: 's', packageCard: 'p' }[kind]}=${id}`;
export const linkOf = (domain: string, path: 'c' | 'g' | 's' | 'p', id: string) => `https://${domain}/${path}/${id}`;

/** Undoes one round of URL encoding when the text is encoded; null if the encoding is broken. */
function decodeOnce(text: string, encodedMarker: RegExp): string | null {
  if (!encodedMarker.test(text)) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** A `g=`/`s=`/`p=` scene, or null if it is not one of ours (too long, unknown key, bad id). */
export function parseScene(input: string): SceneRef | null {
  if (input.length > MAX_SCENE * 3 || !PRINTABLE_ASCII.test(input)) return null;
  const scene = decodeOnce(input, /%3D/i);
  if (scene === null || scene.length > MAX_SCENE) return null;
  const match = /^([a-z])=(.+)$/.exec(scene);
  const kind = match ? SCENE_KINDS[match[1]!] : undefined;
  if (!match || !kind || !PLACE_ID.test(match[2]!)) return null;
  return { kind, id: match[2]! };
}

/**
 * A link on the brand's domain, or null. The product code is returned as
 * written; the code rules decide whether it is one.
 */
export function parseLink(input: string, brandDomain: string): SceneRef | null {
  if (input.length > MAX_LINK || !PRINTABLE_ASCII.test(input)) return null;
  const link = decodeOnce(input, /^https?%3A/i);
  if (link === null || !PRINTABLE_ASCII.test(link)) return null;
  const match = /^https:\/\/([^/?#]+)\/([a-z])\/([^/?#]+)\/?(?:\?[^#]*)?$/.exec(link);
  if (!match || match[1]!.toLowerCase() !== brandDomain.toLowerCase()) return null;
  const kind = LINK_KINDS[match[2]!];
  const value = match[3]!;
  if (!kind) return null;
  if (kind === 'product') return { kind, code: value };
  return PLACE_ID.test(value) ? { kind, id: value } : null;
}
