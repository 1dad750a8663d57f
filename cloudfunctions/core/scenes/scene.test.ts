import { linkOf, parseLink, parseScene, sceneOf } from './scene';

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
