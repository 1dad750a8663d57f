import fc from 'fast-check';
import { runs, timeoutFor } from '../../../test/support/property';
import { linkOf, parseLink, parseScene, PLACE_ID, sceneOf, type PlaceKind } from './scene';

const domain = 'mc.example.com';

describe('scenes', () => {
  test.each([
    ['g=G001', { kind: 'guide', id: 'G001' }],
    ['s=SH-001', { kind: 'store', id: 'SH-001' }],
    ['p=double_11', { kind: 'packageCard', id: 'double_11' }],
    ['g%3DG001', { kind: 'guide', id: 'G001' }],
    [`g=${'x'.repeat(30)}`, { kind: 'guide', id: 'x'.repeat(30) }],
  ])('%s is read', (scene, ref) => expect(parseScene(scene)).toEqual(ref));

  test.each([
    [`g=${'x'.repeat(31)}`, 'over 32 characters'],
    ['x=G001', 'unknown key'],
    ['g=', 'empty id'],
    ['g=G 001', 'space'],
    ['g=导购', 'non-ASCII'],
    ['g=G001&s=S1', 'two parts'],
    ['g%3', 'broken encoding'],
    ['G001', 'no key'],
  ])('%s is refused (%s)', (scene) => expect(parseScene(scene)).toBeNull());

  test('the scene and link of every kind read back', () => {
    for (const kind of ['guide', 'store', 'packageCard'] as const) {
      expect(parseScene(sceneOf(kind, 'ID-1'))).toEqual({ kind, id: 'ID-1' });
      expect(sceneOf(kind, 'x'.repeat(30)).length).toBeLessThanOrEqual(32);
    }
    expect(parseLink(linkOf(domain, 'g', 'G1'), domain)).toEqual({ kind: 'guide', id: 'G1' });
    expect(parseLink(linkOf(domain, 's', 'S1'), domain)).toEqual({ kind: 'store', id: 'S1' });
    expect(parseLink(linkOf(domain, 'p', 'P1'), domain)).toEqual({ kind: 'packageCard', id: 'P1' });
    expect(parseLink(linkOf(domain, 'c', 'ABC'), domain)).toEqual({ kind: 'product', code: 'ABC' });
  });

  test.each([
    [`https://${domain}/c/AJPBE22223L64QHM3BNKPK`, { kind: 'product', code: 'AJPBE22223L64QHM3BNKPK' }],
    [encodeURIComponent(`https://${domain}/c/AJPBE22223L64QHM3BNKPK`), { kind: 'product', code: 'AJPBE22223L64QHM3BNKPK' }],
    [`https://MC.Example.com/g/G001`, { kind: 'guide', id: 'G001' }],
    [`https://${domain}/g/G001/`, { kind: 'guide', id: 'G001' }],
    [`https://${domain}/g/G001?from=poster`, { kind: 'guide', id: 'G001' }],
  ])('link %s is read', (q, ref) => expect(parseLink(q, domain)).toEqual(ref));

  test.each([
    [`http://${domain}/c/ABC`],
    [`https://evil.com/c/ABC`],
    [`https://${domain}.evil.com/c/ABC`],
    [`https://${domain}/x/ABC`],
    [`https://${domain}/c/`],
    [`https://${domain}/c/A/B`],
    [`https://${domain}/g/${'x'.repeat(31)}`],
    [`https://${domain}/c/码`],
    [`https%3A%2F%2F${domain}%2Fc%2F%E7%A0`],
    [`https://${domain}/c/${'A'.repeat(600)}`],
    ['javascript:alert(1)'],
  ])('link %s is refused', (q) => expect(parseLink(q, domain)).toBeNull());
});

describe('scenes and links, for any id and any input', () => {
  const kinds = [['guide', 'g'], ['store', 's'], ['packageCard', 'p']] as const;
  const placeId = fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/);
  // a domain as the brand may configure it, written in any case in the link
  const brandDomain = fc.domain({ size: 'small' }).filter((d) => d.length <= 120);
  const anyCase = (text: string, upper: boolean[]) => [...text].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join('');
  // a poster's query: any text, encoded as a query value is
  const from = fc.string({ maxLength: 20 }).map((value) => `?from=${encodeURIComponent(value)}`);

  it('reads back the scene of every kind and any valid id, plain and URL-encoded', () => {
    fc.assert(fc.property(fc.constantFrom(...kinds), placeId, ([kind], id) => {
      const scene = sceneOf(kind, id);
      expect(scene.length).toBeLessThanOrEqual(32);
      expect(parseScene(scene)).toEqual({ kind, id });
      expect(parseScene(encodeURIComponent(scene))).toEqual({ kind, id });
    }), { numRuns: runs(300) });
  }, timeoutFor(10_000));

  it('reads back the link of every kind and any valid id, plain, URL-encoded, with a ?from= query and both', () => {
    const path = fc.constantFrom<[PlaceKind | 'product', 'c' | 'g' | 's' | 'p']>(...kinds.map(([kind, letter]) => [kind, letter] as [PlaceKind, 'g' | 's' | 'p']), ['product', 'c']);
    fc.assert(fc.property(path, placeId, brandDomain, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), from, ([kind, letter], id, domain, upper, query) => {
      const ref = kind === 'product' ? { kind, code: id } : { kind, id };
      const link = linkOf(anyCase(domain, upper), letter, id);
      for (const written of [link, `${link}/`, `${link}${query}`, encodeURIComponent(link), encodeURIComponent(`${link}${query}`)]) {
        expect([written, parseLink(written, domain)]).toEqual([written, ref]);
      }
    }), { numRuns: runs(300) });
  }, timeoutFor(10_000));

  it('never throws on any text, and reads from it only an id of the allowed pattern, written as sceneOf and linkOf write it', () => {
    const domain = 'mc.example.com';
    // pieces of scenes and links, so that random texts come near ours, not only noise
    const pieces = fc.constantFrom('g=', 's=', 'p=', 'c=', 'x=', '=', '%3D', '%3d', '%', '%2', '%25', '%E7%A0', '%E7%A0%81', '%00', '%0A', '%20', '%2F', '%3F', '%23',
      'https://', 'http://', 'https%3A%2F%2F', 'HTTPS%3a%2f%2f', domain, 'MC.Example.COM', `${domain}.evil.com`, '/', '/g/', '/s/', '/p/', '/c/', '/x/', '?', '#', '?from=',
      'G001', 'a', 'Z', '9', '-', '_', '.', ' ', '\t', '\n', '码', '导购', '\u0000', '\uD800', 'x'.repeat(30), 'y'.repeat(300));
    // (a lone surrogate has no URL encoding)
    const maybeEncoded = (text: fc.Arbitrary<string>) => fc.tuple(text, fc.boolean()).map(([t, encode]) => (encode ? encodeURIComponent(t.replace(/[\uD800-\uDFFF]/g, '')) : t));
    // an id that would pass, or pieces that would not
    const idish = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), fc.array(pieces, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')));
    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
      maybeEncoded(fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join(''))),
      // shaped as a scene or a link, any part of it wrong (or none)
      {
        weight: 4,
        arbitrary: fc.tuple(fc.constantFrom('g', 's', 'p', 'c', 'x', 'G', ''), fc.constantFrom('=', '%3D', '%3d', '%3', '=='), idish, fc.constantFrom('', '', '%0A', '\n', '&s=S1', '=')).map((parts) => parts.join('')),
      },
      {
        weight: 6,
        arbitrary: maybeEncoded(fc.tuple(fc.constantFrom('https://', 'https://', 'http://', 'HTTPS://', ''), fc.constantFrom(domain, domain, 'MC.Example.COM', 'evil.com', `${domain}.evil.com`, ''),
          fc.constantFrom('/g/', '/s/', '/p/', '/c/', '/x/', '/G/', '/'), idish, fc.constantFrom('', '', '/', '?from=poster', '#x', '/x', '?a#b', '%0A')).map((parts) => parts.join(''))),
      },
      // a link of ours, URL-encoded, whose last part decodes to any characters at all
      {
        weight: 2,
        arbitrary: fc.tuple(fc.constantFrom('g', 's', 'p', 'c'), fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }))
          .map(([letter, value]) => encodeURIComponent(`https://${domain}/${letter}/${value.replace(/[\uD800-\uDFFF]/g, '')}`)),
      },
    );
    const once = (input: string) => { try { return decodeURIComponent(input); } catch { return input; } };
    /** Whether the input, or its one decoding, is the link of this path and value on our domain (any case), a slash or a query after it. */
    const linkReads = (input: string, letter: string, value: string) => [input, once(input)].some((link) => {
      const head = `https://${domain}/${letter}/`;
      return link.slice(0, head.length).toLowerCase() === head && /^(\/|\/?\?[^#]*)?$/.test(link.slice(head.length + value.length)) && link.slice(head.length, head.length + value.length) === value;
    });
    fc.assert(fc.property(text, (input) => {
      const scene = parseScene(input);
      // a scene is never a product code
      expect(scene?.kind).not.toBe('product');
      if (scene !== null && scene.kind !== 'product') {
        expect(['guide', 'store', 'packageCard']).toContain(scene.kind);
        expect(scene.id).toMatch(PLACE_ID);
        expect([input, once(input)]).toContain(sceneOf(scene.kind, scene.id));
      }
      const link = parseLink(input, domain);
      if (link !== null && link.kind === 'product') {
        expect(link.code).toMatch(/^[\x21-\x7e]+$/);
        expect(link.code).not.toMatch(/[/?#]/);
        expect(linkReads(input, 'c', link.code)).toBe(true);
      } else if (link !== null) {
        expect(['guide', 'store', 'packageCard']).toContain(link.kind);
        expect(link.id).toMatch(PLACE_ID);
        expect(linkReads(input, { guide: 'g', store: 's', packageCard: 'p' }[link.kind], link.id)).toBe(true);
      }
    }), { numRuns: runs(3000) });
  }, timeoutFor(10_000));
});
