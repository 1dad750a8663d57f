import { approximateCharacters, isDisplayableName, userCharacters } from './text';

describe('userCharacters', () => {
  it.each([
    ['plain text', '小美abc', 5],
    ['an emoji of two UTF-16 units', '🌸', 1],
    ['a family joined by zero-width joiners', '👨\u200d👩\u200d👧\u200d👦', 1],
    ['a flag (two regional indicators)', '🇨🇳', 1],
    ['two flags side by side', '🇨🇳🇭🇰', 2],
    ['a skin tone', '👍🏽', 1],
    ['a keycap', '1\ufe0f\u20e3', 1],
    ['a letter with a combining accent', 'e\u0301', 1],
    ['a heart with its variation selector', '❤\ufe0f', 1],
    ['letters a zero-width joiner stands between (it joins emoji only)', '美\u200d美\u200d美', 3],
  ])('counts %s', (_name, text, count) => {
    expect(userCharacters(text)).toHaveLength(count);
    expect(userCharacters(text).join('')).toBe(text);
  });
});

describe('userCharacters beyond emoji', () => {
  it.each([
    ['Thai with its marks', 'น้ำ', 1],
    ['a Devanagari conjunct', 'क्षि', 1],
    ['a Hangul syllable in jamo', '\u1100\u1161\u11a8', 1],
    ['letters a zero-width non-joiner stands between', 'a\u200cb', 2],
    ['a letter, a zero-width joiner and an emoji', 'a\u200d😀', 2],
  ])('counts %s', (_name, text, count) => expect(userCharacters(text)).toHaveLength(count));

  it('reads emoji and accents alike without Intl.Segmenter (a WeChat client may lack it)', () => {
    const cases = [
      ['👨\u200d👩\u200d👧\u200d👦🇨🇳e\u0301', 3], ['美\u200d美', 2], ['\u1100\u1161\u11a8', 1], ['\u1100\u1100\u1161', 1], ['a\u1161', 2], ['a\u200d😀', 2],
      ['น้ำ', 1], ['กำ', 1], ['ສຳ', 1], ['ស្រី', 1], ['क्षि', 1], ['ｶﾞ', 1], ['a\u200cb', 2],
    ] as const;
    for (const [text, count] of cases) expect([text, approximateCharacters(text).length]).toEqual([text, count]);
  });
});

describe('isDisplayableName', () => {
  it.each(['小美', 'Lily 🌸', '👨\u200d👩\u200d👧', 'אבג', 'José'])('takes %j', (name) => expect(isDisplayableName(name)).toBe(true));
  it.each(['\u200b', '\u200f\u061c', '\u3164', '\u2800\u2800', '\u0301', 'a\u2028b', 'a\u0000b', '\u202eabc'])('refuses %j', (name) => expect(isDisplayableName(name)).toBe(false));
});
