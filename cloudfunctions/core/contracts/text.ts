/**
 * Control characters, line and paragraph separators, bidi overrides and lone surrogates garble,
 * break or reorder a name where consumers, staff and exports show it.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;
/** Characters that take room and show nothing: the Hangul fillers and the blank Braille pattern. */
const BLANK = /[\u115f\u1160\u3164\uffa0\u2800]/g;
/** Something to see: a letter, digit, punctuation mark or symbol (an emoji is a symbol). */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

/**
 * Whether a name typed by a person shows as the text they meant: something visible (not only
 * zero-width, direction or blank characters, or accents on nothing), in order, on one line.
 */
export const isDisplayableName = (text: string): boolean => !hasUnprintable(text) && hasVisibleText(text);

/** Whether a text shows anything: not only spaces (full-width ones included), zero-width, direction or blank characters. */
export const hasVisibleText = (text: string): boolean => VISIBLE.test(text.replace(BLANK, ''));

/** Whether a text holds a character that garbles, breaks or reorders it (the page names it, not the letters around it). */
export const hasUnprintable = (text: string): boolean => UNPRINTABLE.test(text);

const MARK = /\p{M}/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const ZWJ = 0x200d;
const isRegional = (cp: number) => cp >= 0x1f1e6 && cp <= 0x1f1ff;
/**
 * What never starts a character of its own: accents and other marks, variation selectors, skin
 * tones, the keycap, emoji tags, the zero-width non-joiner, Thai and Lao AM (letters by category,
 * yet part of the syllable before them), half-width kana voicing marks.
 */
const isExtender = (cp: number, char: string) =>
  (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0x1f3fb && cp <= 0x1f3ff) || cp === 0x20e3 || (cp >= 0xe0020 && cp <= 0xe007f) || cp === 0x200c
  || cp === 0x0e33 || cp === 0x0eb3 || cp === 0xff9e || cp === 0xff9f || MARK.test(char);
/** Hangul initial jamo, and vowel or final jamo: a syllable written in jamo (as some keyboards store it) is one. */
const isLeadJamo = (cp: number) => cp >= 0x1100 && cp <= 0x115f;
const isTrailJamo = (cp: number) => cp >= 0x1160 && cp <= 0x11ff;
const isHangul = (cp: number) => isLeadJamo(cp) || isTrailJamo(cp) || (cp >= 0xac00 && cp <= 0xd7a3);
/** A virama that joins the next letter into one cluster (a Devanagari conjunct, a Khmer subscript). */
const isLinker = (cp: number) => cp === 0x094d || cp === 0x17d2;

type Segmenter = { segment(text: string): Iterable<{ segment: string }> };
const graphemes: Segmenter | null = (() => {
  // an engine built without Intl has no Intl at all
  if (typeof Intl === 'undefined') return null;
  const Segmenter = (Intl as unknown as { Segmenter?: new (locale: string, options: { granularity: 'grapheme' }) => Segmenter }).Segmenter;
  return Segmenter ? new Segmenter('zh', { granularity: 'grapheme' }) : null;
})();

/**
 * The characters of a text as a person counts them, for length limits: an emoji joined of several
 * (a family, a flag, a skin tone, a keycap) is one, as is a letter with its accents, a Thai or
 * Devanagari cluster, a Hangul syllable written in jamo. Unicode's grapheme clusters
 * (Intl.Segmenter, as the cloud functions' Node has it); where a WeChat client lacks it, a close
 * reading of the same rules (`approximateCharacters`).
 */
export function userCharacters(text: string): string[] {
  return graphemes ? Array.from(graphemes.segment(text), (s) => s.segment) : approximateCharacters(text);
}

/** Unicode's grapheme rules as far as names need them, for clients without Intl.Segmenter. */
export function approximateCharacters(text: string): string[] {
  // (a run of accents stays one character: length limits bound a text's code units as well)
  const out: string[] = [];
  // a zero-width joiner joins two emoji into one (a family); between letters it joins nothing
  let joined = false;
  let openFlag = false;
  let previous = 0;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    const last = out.length - 1;
    const joins = cp === ZWJ || (joined && PICTOGRAPHIC.test(char) && PICTOGRAPHIC.test(out[last]!)) || isExtender(cp, char) || (openFlag && isRegional(cp))
      || (isTrailJamo(cp) && isHangul(previous)) || (isLeadJamo(cp) && isLeadJamo(previous)) || isLinker(previous);
    if (last >= 0 && joins) {
      out[last] += char;
      joined = cp === ZWJ;
      openFlag = false;
    } else {
      out.push(char);
      joined = false;
      openFlag = isRegional(cp);
    }
    previous = cp;
  }
  return out;
}

/** A nickname's most UTF-16 code units: room for emoji joined of several (six families are 66), none for accents stacked without end. */
export const NICKNAME_MAX_UNITS = 120;
